/**
 * Signing a verity root hash as systemd-repart does (`PKCS7_sign(cert, key, NULL, roothash_hex,
 * PKCS7_DETACHED|PKCS7_NOATTR|PKCS7_BINARY)`): a DER PKCS#7/CMS SignedData with the certificate, one
 * signer identified by issuer and serial number, no signed attributes, detached content = the root
 * hash's lower-case hex text; and the certificate's SHA-256 fingerprint. Built with pkijs/asn1js
 * over WebCrypto, so the private key stays inside the worker that imported it (browser or Node).
 *
 * Keys: PEM PKCS#8 (`BEGIN PRIVATE KEY`), PKCS#1 (`BEGIN RSA PRIVATE KEY`) or SEC1 (`BEGIN EC
 * PRIVATE KEY`); RSA (PKCS#1 v1.5 with SHA-256) or ECDSA P-256 (SHA-256). Either way the same inputs
 * give the same signature: RSA PKCS#1 v1.5 is deterministic, and ECDSA's per-signature nonce is
 * derived from the key and the message (RFC 6979, by @noble/curves) instead of WebCrypto's random
 * one — OpenSSL, and so systemd-repart, randomizes it, which verifiers cannot tell apart.
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { p256 } from '@noble/curves/nist.js';
import { ErrorCode, PartwrightError } from '../model/errors.ts';

/** What signs a root hash: PKCS#7 detached DER over its hex text, and the certificate's SHA-256 fingerprint. */
export interface VeritySigner {
  certificateFingerprint: Uint8Array;
  sign(rootHashHex: string): Promise<Uint8Array>;
}

const OID = {
  rsaEncryption: '1.2.840.113549.1.1.1',
  ecPublicKey: '1.2.840.10045.2.1',
  prime256v1: '1.2.840.10045.3.1.7',
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
} as const;

function bad(message: string): PartwrightError {
  return new PartwrightError(ErrorCode.InvalidSpec, message);
}

/** The DER bodies of every PEM block labelled `label`. */
function pemBlocks(pem: string, label: RegExp): { label: string; der: Uint8Array }[] {
  const out: { label: string; der: Uint8Array }[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  for (let m = re.exec(pem); m; m = re.exec(pem)) {
    if (!label.test(m[1]!)) continue;
    const b64 = m[2]!.replace(/[^A-Za-z0-9+/=]/g, '');
    out.push({ label: m[1]!, der: Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)) });
  }
  return out;
}

function buffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** Wraps a PKCS#1 RSA or SEC1 EC key into PKCS#8 PrivateKeyInfo, which WebCrypto imports. */
function toPkcs8(label: string, der: Uint8Array): Uint8Array {
  if (label === 'PRIVATE KEY') return der;
  if (label === 'ENCRYPTED PRIVATE KEY') throw bad('The private key is encrypted; give an unencrypted PEM key (openssl pkey -in KEY -out PLAIN).');
  const algorithm = label === 'RSA PRIVATE KEY'
    ? new pkijs.AlgorithmIdentifier({ algorithmId: OID.rsaEncryption, algorithmParams: new asn1js.Null() })
    : new pkijs.AlgorithmIdentifier({ algorithmId: OID.ecPublicKey, algorithmParams: new asn1js.ObjectIdentifier({ value: OID.prime256v1 }) });
  const info = new pkijs.PrivateKeyInfo({ version: 0, privateKeyAlgorithm: algorithm, privateKey: new asn1js.OctetString({ valueHex: buffer(der) }) });
  return new Uint8Array(info.toSchema().toBER(false));
}

/** Imports a PEM key and certificate; checks that they belong together by a trial signature. */
/** WebCrypto as both the worker's and Node's type libraries name it. */
type WebCrypto = typeof globalThis.crypto;
type PrivateKey = Awaited<ReturnType<WebCrypto['subtle']['importKey']>>;

export async function createVeritySigner(privateKeyPem: string, certificatePem: string, crypto: WebCrypto = globalThis.crypto): Promise<VeritySigner> {
  const certBlock = pemBlocks(certificatePem, /^(X509 )?CERTIFICATE$/)[0];
  if (!certBlock) throw bad('The certificate file holds no PEM "BEGIN CERTIFICATE" block.');
  let certificate: pkijs.Certificate;
  try {
    certificate = pkijs.Certificate.fromBER(buffer(certBlock.der));
  } catch (e) {
    throw bad(`The certificate cannot be parsed: ${(e as Error).message}`);
  }
  const keyBlock = pemBlocks(privateKeyPem, /PRIVATE KEY$/)[0];
  if (!keyBlock) throw bad('The private key file holds no PEM "BEGIN PRIVATE KEY" block.');

  const spki = certificate.subjectPublicKeyInfo.algorithm;
  let algorithm: { name: 'RSASSA-PKCS1-v1_5'; hash: 'SHA-256' } | { name: 'ECDSA'; namedCurve: 'P-256' };
  if (spki.algorithmId === OID.rsaEncryption) algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  else if (spki.algorithmId === OID.ecPublicKey && (spki.algorithmParams as asn1js.ObjectIdentifier | undefined)?.valueBlock?.toString() === OID.prime256v1) {
    algorithm = { name: 'ECDSA', namedCurve: 'P-256' };
  } else throw bad('The certificate\'s key is neither RSA nor ECDSA P-256; Partwright signs with those two.');

  let privateKey: PrivateKey;
  /** ECDSA: the secret scalar, for RFC 6979 signatures (the key never leaves this worker either way). */
  let ecSecret: Uint8Array | undefined;
  try {
    const ec = algorithm.name === 'ECDSA';
    privateKey = await crypto.subtle.importKey('pkcs8', buffer(toPkcs8(keyBlock.label, keyBlock.der)), algorithm, ec, ['sign']);
    if (ec) {
      const d = (await crypto.subtle.exportKey('jwk', privateKey)).d;
      if (!d) throw new Error('no private scalar');
      ecSecret = Uint8Array.from(atob(d.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (d.length % 4)) % 4)), (c) => c.charCodeAt(0));
    }
  } catch (e) {
    if (e instanceof PartwrightError) throw e;
    throw bad(`The private key cannot be imported as ${algorithm.name === 'ECDSA' ? 'an ECDSA P-256' : 'an RSA'} key (it must match the certificate): ${(e as Error).message}`);
  }
  const certificateDer = new Uint8Array(certificate.toSchema().toBER(false));
  const certificateFingerprint = new Uint8Array(await crypto.subtle.digest('SHA-256', buffer(certBlock.der)));
  const engine = new pkijs.CryptoEngine({ name: 'partwright', crypto });

  const sign = async (text: string): Promise<Uint8Array> => {
    const content = buffer(new TextEncoder().encode(text));
    const signed = new pkijs.SignedData({
      version: 1,
      encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: OID.data }),
      signerInfos: [new pkijs.SignerInfo({
        version: 1,
        sid: new pkijs.IssuerAndSerialNumber({ issuer: certificate.issuer, serialNumber: certificate.serialNumber }),
      })],
      certificates: [pkijs.Certificate.fromBER(buffer(certificateDer))],
    });
    await signed.sign(privateKey, 0, 'SHA-256', content, engine);
    if (ecSecret) {
      // No signed attributes: the signature is over the content itself. RFC 6979 nonce, DER
      // Ecdsa-Sig-Value as CMS carries it (RFC 5753 §2.1.1); high S kept as OpenSSL leaves it.
      const der = p256.sign(new Uint8Array(content), ecSecret, { prehash: true, lowS: false, format: 'der' });
      signed.signerInfos[0]!.signature = new asn1js.OctetString({ valueHex: buffer(der) });
    }
    // OpenSSL's PKCS7_sign names the RSA signature rsaEncryption with NULL parameters (the signature
    // value is the same PKCS#1 v1.5 one); do the same so the DER equals what repart writes.
    if (algorithm.name === 'RSASSA-PKCS1-v1_5') {
      signed.signerInfos[0]!.signatureAlgorithm = new pkijs.AlgorithmIdentifier({ algorithmId: OID.rsaEncryption, algorithmParams: new asn1js.Null() });
    }
    const info = new pkijs.ContentInfo({ contentType: OID.signedData, content: signed.toSchema(true) });
    return new Uint8Array(info.toSchema().toBER(false));
  };

  // A key that does not match the certificate would make signatures nobody can verify: refuse it now.
  const probe = await sign('partwright-key-check');
  const check = pkijs.ContentInfo.fromBER(buffer(probe));
  const verified = await new pkijs.SignedData({ schema: check.content }).verify({
    signer: 0, data: buffer(new TextEncoder().encode('partwright-key-check')), checkChain: false,
  }, engine).catch(() => false);
  if (!verified) throw bad('The private key does not belong to the certificate (a trial signature does not verify with the certificate\'s public key).');

  return { certificateFingerprint, sign };
}

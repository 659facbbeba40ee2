/**
 * Every GPT partition type systemd-repart 252 knows by name (src/shared/gpt.c, src/systemd/sd-gpt.h),
 * generated from systemd 252's headers. `arch` is set for the per-architecture root/usr types.
 * The unsuffixed names ("root", "usr-verity", …) and "…-secondary" are resolved against the image's
 * architecture by `resolvePartitionType`, as repart resolves them against the machine it runs on.
 */
export type Architecture =
  | 'alpha' | 'arc' | 'arm' | 'arm64' | 'ia64' | 'loongarch64' | 'mips' | 'mips64' | 'mips-le'
  | 'mips64-le' | 'parisc' | 'ppc' | 'ppc64' | 'ppc64-le' | 'riscv32' | 'riscv64' | 's390' | 's390x'
  | 'tilegx' | 'x86' | 'x86-64';

export type PartitionRole =
  | 'root' | 'root-verity' | 'root-verity-sig' | 'usr' | 'usr-verity' | 'usr-verity-sig'
  | 'esp' | 'xbootldr' | 'swap' | 'home' | 'srv' | 'var' | 'tmp' | 'user-home' | 'linux-generic';

export interface PartitionType {
  /** repart's identifier, e.g. `root-x86-64`, `esp`. */
  readonly id: string;
  /** Lower-case type GUID in string order. */
  readonly guid: string;
  readonly arch: Architecture | undefined;
  readonly role: PartitionRole;
}

export const PARTITION_TYPES: readonly PartitionType[] = [
  { id: 'root-alpha', guid: '6523f8ae-3eb1-4e2a-a05a-18b695ae656f', arch: 'alpha', role: 'root' },
  { id: 'root-alpha-verity', guid: 'fc56d9e9-e6e5-4c06-be32-e74407ce09a5', arch: 'alpha', role: 'root-verity' },
  { id: 'root-alpha-verity-sig', guid: 'd46495b7-a053-414f-80f7-700c99921ef8', arch: 'alpha', role: 'root-verity-sig' },
  { id: 'usr-alpha', guid: 'e18cf08c-33ec-4c0d-8246-c6c6fb3da024', arch: 'alpha', role: 'usr' },
  { id: 'usr-alpha-verity', guid: '8cce0d25-c0d0-4a44-bd87-46331bf1df67', arch: 'alpha', role: 'usr-verity' },
  { id: 'usr-alpha-verity-sig', guid: '5c6e1c76-076a-457a-a0fe-f3b4cd21ce6e', arch: 'alpha', role: 'usr-verity-sig' },
  { id: 'root-arc', guid: 'd27f46ed-2919-4cb8-bd25-9531f3c16534', arch: 'arc', role: 'root' },
  { id: 'root-arc-verity', guid: '24b2d975-0f97-4521-afa1-cd531e421b8d', arch: 'arc', role: 'root-verity' },
  { id: 'root-arc-verity-sig', guid: '143a70ba-cbd3-4f06-919f-6c05683a78bc', arch: 'arc', role: 'root-verity-sig' },
  { id: 'usr-arc', guid: '7978a683-6316-4922-bbee-38bff5a2fecc', arch: 'arc', role: 'usr' },
  { id: 'usr-arc-verity', guid: 'fca0598c-d880-4591-8c16-4eda05c7347c', arch: 'arc', role: 'usr-verity' },
  { id: 'usr-arc-verity-sig', guid: '94f9a9a1-9971-427a-a400-50cb297f0f35', arch: 'arc', role: 'usr-verity-sig' },
  { id: 'root-arm', guid: '69dad710-2ce4-4e3c-b16c-21a1d49abed3', arch: 'arm', role: 'root' },
  { id: 'root-arm-verity', guid: '7386cdf2-203c-47a9-a498-f2ecce45a2d6', arch: 'arm', role: 'root-verity' },
  { id: 'root-arm-verity-sig', guid: '42b0455f-eb11-491d-98d3-56145ba9d037', arch: 'arm', role: 'root-verity-sig' },
  { id: 'usr-arm', guid: '7d0359a3-02b3-4f0a-865c-654403e70625', arch: 'arm', role: 'usr' },
  { id: 'usr-arm-verity', guid: 'c215d751-7bcd-4649-be90-6627490a4c05', arch: 'arm', role: 'usr-verity' },
  { id: 'usr-arm-verity-sig', guid: 'd7ff812f-37d1-4902-a810-d76ba57b975a', arch: 'arm', role: 'usr-verity-sig' },
  { id: 'root-arm64', guid: 'b921b045-1df0-41c3-af44-4c6f280d3fae', arch: 'arm64', role: 'root' },
  { id: 'root-arm64-verity', guid: 'df3300ce-d69f-4c92-978c-9bfb0f38d820', arch: 'arm64', role: 'root-verity' },
  { id: 'root-arm64-verity-sig', guid: '6db69de6-29f4-4758-a7a5-962190f00ce3', arch: 'arm64', role: 'root-verity-sig' },
  { id: 'usr-arm64', guid: 'b0e01050-ee5f-4390-949a-9101b17104e9', arch: 'arm64', role: 'usr' },
  { id: 'usr-arm64-verity', guid: '6e11a4e7-fbca-4ded-b9e9-e1a512bb664e', arch: 'arm64', role: 'usr-verity' },
  { id: 'usr-arm64-verity-sig', guid: 'c23ce4ff-44bd-4b00-b2d4-b41b3419e02a', arch: 'arm64', role: 'usr-verity-sig' },
  { id: 'root-ia64', guid: '993d8d3d-f80e-4225-855a-9daf8ed7ea97', arch: 'ia64', role: 'root' },
  { id: 'root-ia64-verity', guid: '86ed10d5-b607-45bb-8957-d350f23d0571', arch: 'ia64', role: 'root-verity' },
  { id: 'root-ia64-verity-sig', guid: 'e98b36ee-32ba-4882-9b12-0ce14655f46a', arch: 'ia64', role: 'root-verity-sig' },
  { id: 'usr-ia64', guid: '4301d2a6-4e3b-4b2a-bb94-9e0b2c4225ea', arch: 'ia64', role: 'usr' },
  { id: 'usr-ia64-verity', guid: '6a491e03-3be7-4545-8e38-83320e0ea880', arch: 'ia64', role: 'usr-verity' },
  { id: 'usr-ia64-verity-sig', guid: '8de58bc2-2a43-460d-b14e-a76e4a17b47f', arch: 'ia64', role: 'usr-verity-sig' },
  { id: 'root-loongarch64', guid: '77055800-792c-4f94-b39a-98c91b762bb6', arch: 'loongarch64', role: 'root' },
  { id: 'root-loongarch64-verity', guid: 'f3393b22-e9af-4613-a948-9d3bfbd0c535', arch: 'loongarch64', role: 'root-verity' },
  { id: 'root-loongarch64-verity-sig', guid: '5afb67eb-ecc8-4f85-ae8e-ac1e7c50e7d0', arch: 'loongarch64', role: 'root-verity-sig' },
  { id: 'usr-loongarch64', guid: 'e611c702-575c-4cbe-9a46-434fa0bf7e3f', arch: 'loongarch64', role: 'usr' },
  { id: 'usr-loongarch64-verity', guid: 'f46b2c26-59ae-48f0-9106-c50ed47f673d', arch: 'loongarch64', role: 'usr-verity' },
  { id: 'usr-loongarch64-verity-sig', guid: 'b024f315-d330-444c-8461-44bbde524e99', arch: 'loongarch64', role: 'usr-verity-sig' },
  { id: 'root-mips', guid: 'e9434544-6e2c-47cc-bae2-12d6deafb44c', arch: 'mips', role: 'root' },
  { id: 'root-mips-verity', guid: '7a430799-f711-4c7e-8e5b-1d685bd48607', arch: 'mips', role: 'root-verity' },
  { id: 'root-mips-verity-sig', guid: 'bba210a2-9c5d-45ee-9e87-ff2ccbd002d0', arch: 'mips', role: 'root-verity-sig' },
  { id: 'usr-mips', guid: '773b2abc-2a99-4398-8bf5-03baac40d02b', arch: 'mips', role: 'usr' },
  { id: 'usr-mips-verity', guid: '6e5a1bc8-d223-49b7-bca8-37a5fcceb996', arch: 'mips', role: 'usr-verity' },
  { id: 'usr-mips-verity-sig', guid: '97ae158d-f216-497b-8057-f7f905770f54', arch: 'mips', role: 'usr-verity-sig' },
  { id: 'root-mips64', guid: 'd113af76-80ef-41b4-bdb6-0cff4d3d4a25', arch: 'mips64', role: 'root' },
  { id: 'root-mips64-verity', guid: '579536f8-6a33-4055-a95a-df2d5e2c42a8', arch: 'mips64', role: 'root-verity' },
  { id: 'root-mips64-verity-sig', guid: '43ce94d4-0f3d-4999-8250-b9deafd98e6e', arch: 'mips64', role: 'root-verity-sig' },
  { id: 'usr-mips64', guid: '57e13958-7331-4365-8e6e-35eeee17c61b', arch: 'mips64', role: 'usr' },
  { id: 'usr-mips64-verity', guid: '81cf9d90-7458-4df4-8dcf-c8a3a404f09b', arch: 'mips64', role: 'usr-verity' },
  { id: 'usr-mips64-verity-sig', guid: '05816ce2-dd40-4ac6-a61d-37d32dc1ba7d', arch: 'mips64', role: 'usr-verity-sig' },
  { id: 'root-mips-le', guid: '37c58c8a-d913-4156-a25f-48b1b64e07f0', arch: 'mips-le', role: 'root' },
  { id: 'root-mips-le-verity', guid: 'd7d150d2-2a04-4a33-8f12-16651205ff7b', arch: 'mips-le', role: 'root-verity' },
  { id: 'root-mips-le-verity-sig', guid: 'c919cc1f-4456-4eff-918c-f75e94525ca5', arch: 'mips-le', role: 'root-verity-sig' },
  { id: 'usr-mips-le', guid: '0f4868e9-9952-4706-979f-3ed3a473e947', arch: 'mips-le', role: 'usr' },
  { id: 'usr-mips-le-verity', guid: '46b98d8d-b55c-4e8f-aab3-37fca7f80752', arch: 'mips-le', role: 'usr-verity' },
  { id: 'usr-mips-le-verity-sig', guid: '3e23ca0b-a4bc-4b4e-8087-5ab6a26aa8a9', arch: 'mips-le', role: 'usr-verity-sig' },
  { id: 'root-mips64-le', guid: '700bda43-7a34-4507-b179-eeb93d7a7ca3', arch: 'mips64-le', role: 'root' },
  { id: 'root-mips64-le-verity', guid: '16b417f8-3e06-4f57-8dd2-9b5232f41aa6', arch: 'mips64-le', role: 'root-verity' },
  { id: 'root-mips64-le-verity-sig', guid: '904e58ef-5c65-4a31-9c57-6af5fc7c5de7', arch: 'mips64-le', role: 'root-verity-sig' },
  { id: 'usr-mips64-le', guid: 'c97c1f32-ba06-40b4-9f22-236061b08aa8', arch: 'mips64-le', role: 'usr' },
  { id: 'usr-mips64-le-verity', guid: '3c3d61fe-b5f3-414d-bb71-8739a694a4ef', arch: 'mips64-le', role: 'usr-verity' },
  { id: 'usr-mips64-le-verity-sig', guid: 'f2c2c7ee-adcc-4351-b5c6-ee9816b66e16', arch: 'mips64-le', role: 'usr-verity-sig' },
  { id: 'root-parisc', guid: '1aacdb3b-5444-4138-bd9e-e5c2239b2346', arch: 'parisc', role: 'root' },
  { id: 'root-parisc-verity', guid: 'd212a430-fbc5-49f9-a983-a7feef2b8d0e', arch: 'parisc', role: 'root-verity' },
  { id: 'root-parisc-verity-sig', guid: '15de6170-65d3-431c-916e-b0dcd8393f25', arch: 'parisc', role: 'root-verity-sig' },
  { id: 'usr-parisc', guid: 'dc4a4480-6917-4262-a4ec-db9384949f25', arch: 'parisc', role: 'usr' },
  { id: 'usr-parisc-verity', guid: '5843d618-ec37-48d7-9f12-cea8e08768b2', arch: 'parisc', role: 'usr-verity' },
  { id: 'usr-parisc-verity-sig', guid: '450dd7d1-3224-45ec-9cf2-a43a346d71ee', arch: 'parisc', role: 'usr-verity-sig' },
  { id: 'root-ppc', guid: '1de3f1ef-fa98-47b5-8dcd-4a860a654d78', arch: 'ppc', role: 'root' },
  { id: 'root-ppc-verity', guid: '98cfe649-1588-46dc-b2f0-add147424925', arch: 'ppc', role: 'root-verity' },
  { id: 'root-ppc-verity-sig', guid: '1b31b5aa-add9-463a-b2ed-bd467fc857e7', arch: 'ppc', role: 'root-verity-sig' },
  { id: 'usr-ppc', guid: '7d14fec5-cc71-415d-9d6c-06bf0b3c3eaf', arch: 'ppc', role: 'usr' },
  { id: 'usr-ppc-verity', guid: 'df765d00-270e-49e5-bc75-f47bb2118b09', arch: 'ppc', role: 'usr-verity' },
  { id: 'usr-ppc-verity-sig', guid: '7007891d-d371-4a80-86a4-5cb875b9302e', arch: 'ppc', role: 'usr-verity-sig' },
  { id: 'root-ppc64', guid: '912ade1d-a839-4913-8964-a10eee08fbd2', arch: 'ppc64', role: 'root' },
  { id: 'root-ppc64-verity', guid: '9225a9a3-3c19-4d89-b4f6-eeff88f17631', arch: 'ppc64', role: 'root-verity' },
  { id: 'root-ppc64-verity-sig', guid: 'f5e2c20c-45b2-4ffa-bce9-2a60737e1aaf', arch: 'ppc64', role: 'root-verity-sig' },
  { id: 'usr-ppc64', guid: '2c9739e2-f068-46b3-9fd0-01c5a9afbcca', arch: 'ppc64', role: 'usr' },
  { id: 'usr-ppc64-verity', guid: 'bdb528a5-a259-475f-a87d-da53fa736a07', arch: 'ppc64', role: 'usr-verity' },
  { id: 'usr-ppc64-verity-sig', guid: '0b888863-d7f8-4d9e-9766-239fce4d58af', arch: 'ppc64', role: 'usr-verity-sig' },
  { id: 'root-ppc64-le', guid: 'c31c45e6-3f39-412e-80fb-4809c4980599', arch: 'ppc64-le', role: 'root' },
  { id: 'root-ppc64-le-verity', guid: '906bd944-4589-4aae-a4e4-dd983917446a', arch: 'ppc64-le', role: 'root-verity' },
  { id: 'root-ppc64-le-verity-sig', guid: 'd4a236e7-e873-4c07-bf1d-bf6cf7f1c3c6', arch: 'ppc64-le', role: 'root-verity-sig' },
  { id: 'usr-ppc64-le', guid: '15bb03af-77e7-4d4a-b12b-c0d084f7491c', arch: 'ppc64-le', role: 'usr' },
  { id: 'usr-ppc64-le-verity', guid: 'ee2b9983-21e8-4153-86d9-b6901a54d1ce', arch: 'ppc64-le', role: 'usr-verity' },
  { id: 'usr-ppc64-le-verity-sig', guid: 'c8bfbd1e-268e-4521-8bba-bf314c399557', arch: 'ppc64-le', role: 'usr-verity-sig' },
  { id: 'root-riscv32', guid: '60d5a7fe-8e7d-435c-b714-3dd8162144e1', arch: 'riscv32', role: 'root' },
  { id: 'root-riscv32-verity', guid: 'ae0253be-1167-4007-ac68-43926c14c5de', arch: 'riscv32', role: 'root-verity' },
  { id: 'root-riscv32-verity-sig', guid: '3a112a75-8729-4380-b4cf-764d79934448', arch: 'riscv32', role: 'root-verity-sig' },
  { id: 'usr-riscv32', guid: 'b933fb22-5c3f-4f91-af90-e2bb0fa50702', arch: 'riscv32', role: 'usr' },
  { id: 'usr-riscv32-verity', guid: 'cb1ee4e3-8cd0-4136-a0a4-aa61a32e8730', arch: 'riscv32', role: 'usr-verity' },
  { id: 'usr-riscv32-verity-sig', guid: 'c3836a13-3137-45ba-b583-b16c50fe5eb4', arch: 'riscv32', role: 'usr-verity-sig' },
  { id: 'root-riscv64', guid: '72ec70a6-cf74-40e6-bd49-4bda08e8f224', arch: 'riscv64', role: 'root' },
  { id: 'root-riscv64-verity', guid: 'b6ed5582-440b-4209-b8da-5ff7c419ea3d', arch: 'riscv64', role: 'root-verity' },
  { id: 'root-riscv64-verity-sig', guid: 'efe0f087-ea8d-4469-821a-4c2a96a8386a', arch: 'riscv64', role: 'root-verity-sig' },
  { id: 'usr-riscv64', guid: 'beaec34b-8442-439b-a40b-984381ed097d', arch: 'riscv64', role: 'usr' },
  { id: 'usr-riscv64-verity', guid: '8f1056be-9b05-47c4-81d6-be53128e5b54', arch: 'riscv64', role: 'usr-verity' },
  { id: 'usr-riscv64-verity-sig', guid: 'd2f9000a-7a18-453f-b5cd-4d32f77a7b32', arch: 'riscv64', role: 'usr-verity-sig' },
  { id: 'root-s390', guid: '08a7acea-624c-4a20-91e8-6e0fa67d23f9', arch: 's390', role: 'root' },
  { id: 'root-s390-verity', guid: '7ac63b47-b25c-463b-8df8-b4a94e6c90e1', arch: 's390', role: 'root-verity' },
  { id: 'root-s390-verity-sig', guid: '3482388e-4254-435a-a241-766a065f9960', arch: 's390', role: 'root-verity-sig' },
  { id: 'usr-s390', guid: 'cd0f869b-d0fb-4ca0-b141-9ea87cc78d66', arch: 's390', role: 'usr' },
  { id: 'usr-s390-verity', guid: 'b663c618-e7bc-4d6d-90aa-11b756bb1797', arch: 's390', role: 'usr-verity' },
  { id: 'usr-s390-verity-sig', guid: '17440e4f-a8d0-467f-a46e-3912ae6ef2c5', arch: 's390', role: 'usr-verity-sig' },
  { id: 'root-s390x', guid: '5eead9a9-fe09-4a1e-a1d7-520d00531306', arch: 's390x', role: 'root' },
  { id: 'root-s390x-verity', guid: 'b325bfbe-c7be-4ab8-8357-139e652d2f6b', arch: 's390x', role: 'root-verity' },
  { id: 'root-s390x-verity-sig', guid: 'c80187a5-73a3-491a-901a-017c3fa953e9', arch: 's390x', role: 'root-verity-sig' },
  { id: 'usr-s390x', guid: '8a4f5770-50aa-4ed3-874a-99b710db6fea', arch: 's390x', role: 'usr' },
  { id: 'usr-s390x-verity', guid: '31741cc4-1a2a-4111-a581-e00b447d2d06', arch: 's390x', role: 'usr-verity' },
  { id: 'usr-s390x-verity-sig', guid: '3f324816-667b-46ae-86ee-9b0c0c6c11b4', arch: 's390x', role: 'usr-verity-sig' },
  { id: 'root-tilegx', guid: 'c50cdd70-3862-4cc3-90e1-809a8c93ee2c', arch: 'tilegx', role: 'root' },
  { id: 'root-tilegx-verity', guid: '966061ec-28e4-4b2e-b4a5-1f0a825a1d84', arch: 'tilegx', role: 'root-verity' },
  { id: 'root-tilegx-verity-sig', guid: 'b3671439-97b0-4a53-90f7-2d5a8f3ad47b', arch: 'tilegx', role: 'root-verity-sig' },
  { id: 'usr-tilegx', guid: '55497029-c7c1-44cc-aa39-815ed1558630', arch: 'tilegx', role: 'usr' },
  { id: 'usr-tilegx-verity', guid: '2fb4bf56-07fa-42da-8132-6b139f2026ae', arch: 'tilegx', role: 'usr-verity' },
  { id: 'usr-tilegx-verity-sig', guid: '4ede75e2-6ccc-4cc8-b9c7-70334b087510', arch: 'tilegx', role: 'usr-verity-sig' },
  { id: 'root-x86', guid: '44479540-f297-41b2-9af7-d131d5f0458a', arch: 'x86', role: 'root' },
  { id: 'root-x86-verity', guid: 'd13c5d3b-b5d1-422a-b29f-9454fdc89d76', arch: 'x86', role: 'root-verity' },
  { id: 'root-x86-verity-sig', guid: '5996fc05-109c-48de-808b-23fa0830b676', arch: 'x86', role: 'root-verity-sig' },
  { id: 'usr-x86', guid: '75250d76-8cc6-458e-bd66-bd47cc81a812', arch: 'x86', role: 'usr' },
  { id: 'usr-x86-verity', guid: '8f461b0d-14ee-4e81-9aa9-049b6fb97abd', arch: 'x86', role: 'usr-verity' },
  { id: 'usr-x86-verity-sig', guid: '974a71c0-de41-43c3-be5d-5c5ccd1ad2c0', arch: 'x86', role: 'usr-verity-sig' },
  { id: 'root-x86-64', guid: '4f68bce3-e8cd-4db1-96e7-fbcaf984b709', arch: 'x86-64', role: 'root' },
  { id: 'root-x86-64-verity', guid: '2c7357ed-ebd2-46d9-aec1-23d437ec2bf5', arch: 'x86-64', role: 'root-verity' },
  { id: 'root-x86-64-verity-sig', guid: '41092b05-9fc8-4523-994f-2def0408b176', arch: 'x86-64', role: 'root-verity-sig' },
  { id: 'usr-x86-64', guid: '8484680c-9521-48c6-9c11-b0720656f69e', arch: 'x86-64', role: 'usr' },
  { id: 'usr-x86-64-verity', guid: '77ff5f63-e7b6-4633-acf4-1565b864c0e6', arch: 'x86-64', role: 'usr-verity' },
  { id: 'usr-x86-64-verity-sig', guid: 'e7bb33fb-06cf-4e81-8273-e543b413e2e2', arch: 'x86-64', role: 'usr-verity-sig' },
  { id: 'esp', guid: 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b', arch: undefined, role: 'esp' },
  { id: 'xbootldr', guid: 'bc13c2ff-59e6-4262-a352-b275fd6f7172', arch: undefined, role: 'xbootldr' },
  { id: 'swap', guid: '0657fd6d-a4ab-43c4-84e5-0933c84b4f4f', arch: undefined, role: 'swap' },
  { id: 'home', guid: '933ac7e1-2eb4-4f13-b844-0e14e2aef915', arch: undefined, role: 'home' },
  { id: 'srv', guid: '3b8f8425-20e0-4f3b-907f-1a25a76f98e8', arch: undefined, role: 'srv' },
  { id: 'var', guid: '4d21b016-b534-45c2-a9fb-5c16e091fd2d', arch: undefined, role: 'var' },
  { id: 'tmp', guid: '7ec6f557-3bc5-4aca-b293-16ef5df639d1', arch: undefined, role: 'tmp' },
  { id: 'user-home', guid: '773f91ef-66d4-49b5-bd83-d683bf40ad16', arch: undefined, role: 'user-home' },
  { id: 'linux-generic', guid: '0fc63daf-8483-4772-8e79-3d69d8477de4', arch: undefined, role: 'linux-generic' },];

export const ARCHITECTURES: readonly Architecture[] = [
  'alpha', 'arc', 'arm', 'arm64', 'ia64', 'loongarch64', 'mips', 'mips64', 'mips-le', 'mips64-le',
  'parisc', 'ppc', 'ppc64', 'ppc64-le', 'riscv32', 'riscv64', 's390', 's390x', 'tilegx', 'x86', 'x86-64',
];

/** The 32-bit sibling repart calls "secondary" (sd-gpt.h: SD_GPT_ROOT_SECONDARY). */
const SECONDARY_ARCH: Partial<Record<Architecture, Architecture>> = { 'x86-64': 'x86', arm64: 'arm' };

const ROLES_WITH_ARCH: readonly PartitionRole[] = [
  'root', 'root-verity', 'root-verity-sig', 'usr', 'usr-verity', 'usr-verity-sig',
];

import { tryNormalizeUuid } from './uuid.ts';

const BY_ID = new Map(PARTITION_TYPES.map((t) => [t.id, t]));
const BY_GUID = new Map<string, PartitionType>();
for (const t of PARTITION_TYPES) if (!BY_GUID.has(t.guid)) BY_GUID.set(t.guid, t);

export interface ResolvedPartitionType {
  guid: string;
  /** The known type, when the GUID is one repart names. */
  known: PartitionType | undefined;
}

/** Normalise a UUID written with or without dashes, any case, to the dashed lower-case form. */
export const normalizeGuid = tryNormalizeUuid;

/**
 * Resolve a `Type=` value as repart does (gpt_partition_type_uuid_from_string): a known identifier,
 * the native names for `architecture`, or a raw GUID. Returns undefined for anything else.
 */
export function resolvePartitionType(
  text: string,
  architecture: Architecture = 'x86-64',
): ResolvedPartitionType | undefined {
  const direct = BY_ID.get(text);
  if (direct) return { guid: direct.guid, known: direct };
  for (const role of ROLES_WITH_ARCH) {
    const [kind, ...rest] = role.split('-');
    const suffix = rest.length ? `-${rest.join('-')}` : '';
    if (text === role) return resolvePartitionType(`${kind}-${architecture}${suffix}`, architecture);
    const secondary = SECONDARY_ARCH[architecture];
    if (secondary && text === `${kind}-secondary${suffix}`) {
      return resolvePartitionType(`${kind}-${secondary}${suffix}`, architecture);
    }
  }
  const guid = normalizeGuid(text);
  if (!guid) return undefined;
  return { guid, known: BY_GUID.get(guid) };
}

/** repart's name for a type GUID (gpt_partition_type_uuid_to_string_harder): identifier or GUID. */
export function partitionTypeName(guid: string): string {
  return BY_GUID.get(guid)?.id ?? guid;
}

export function partitionTypeByGuid(guid: string): PartitionType | undefined {
  return BY_GUID.get(guid);
}

const GROWFS_ROLES: readonly PartitionRole[] = ['root', 'usr', 'home', 'srv', 'var', 'tmp', 'xbootldr'];
const READ_ONLY_ROLES: readonly PartitionRole[] = [...GROWFS_ROLES, 'root-verity', 'usr-verity'];
const NO_AUTO_ROLES: readonly PartitionRole[] = [
  'root', 'root-verity', 'usr', 'usr-verity', 'home', 'srv', 'var', 'tmp', 'xbootldr', 'swap',
];

/** gpt_partition_type_knows_growfs(): types whose bit 59 means "grow the file system". */
export function typeKnowsGrowFs(guid: string): boolean {
  const role = BY_GUID.get(guid)?.role;
  return role !== undefined && GROWFS_ROLES.includes(role);
}

/** gpt_partition_type_knows_read_only(): types whose bit 60 means "read-only". */
export function typeKnowsReadOnly(guid: string): boolean {
  const role = BY_GUID.get(guid)?.role;
  return role !== undefined && READ_ONLY_ROLES.includes(role);
}

/** gpt_partition_type_knows_no_auto(): types whose bit 63 means "do not auto-mount". */
export function typeKnowsNoAuto(guid: string): boolean {
  const role = BY_GUID.get(guid)?.role;
  return role !== undefined && NO_AUTO_ROLES.includes(role);
}

/** Well-known GUIDs that are not repart types but that layouts use (GRUB's BIOS boot partition). */
export const EXTRA_TYPE_GUIDS = {
  biosBoot: '21686148-6449-6e6f-744e-656564454649',
  microsoftBasicData: 'ebd0a0a2-b9e5-4433-87c0-68b6b72699c7',
} as const;

/** The MBR type byte a partition gets when its spec names none. */
export function defaultMbrType(guid: string): number {
  const role = BY_GUID.get(guid)?.role;
  if (role === 'esp') return 0xef;
  if (role === 'swap') return 0x82;
  if (guid === EXTRA_TYPE_GUIDS.microsoftBasicData) return 0x0c;
  return 0x83;
}

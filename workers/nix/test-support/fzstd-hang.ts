/**
 * The input the 10-minute fuzz run (issue 15) found: a 233-byte corrupt zstd frame (a mutated
 * `zstd -3` NAR) on which fzstd 0.1.1, the JS decoder used before, looped forever reading its
 * Huffman table. Kept as a regression input for the libzstd decoder that replaced it.
 */
const PREFIX =
  'KLUv/QRYxQYAwsgdIPEnN6RAh7gNCDaxUVxbsDBivXyeypn7ymIGDFhVdAYdTKu8pSpBZg60luPRUhnL0tgw68IHNvWZIKSlLqUIEABYQL3Y+1zyXxvryKGEh43jBhB2siuEc5olAmR3SnRHl0dIzproarCRO+zGuZtTHPmyi0fB5V6Yloxbtzpuii1nCQCOGAYe6EAGNrAjDKANgrcAAComl02N4wYQdrIrhHOaJQJkd0p0R5dHSM6a6GqwkTvsxrmbUxz5sotHweVemJaMW7c6bootZwkAjhgGHu';

/** The first 220 bytes as the fuzz run printed them, then zeros to 233 (fzstd hangs on this exactly). */
export function fzstdHangInput(): Uint8Array {
  const bin = atob(PREFIX);
  const out = new Uint8Array(233);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export {
  DEFAULT_SWAP_PAGE_BYTES, SWAP_LABEL_MAX_BYTES, SWAP_MIN_PAGES,
  decodeSwapHeader, detectSwapPageSize, encodeSwapHeader, encodeSwapLabel, swapHeaderFor, type SwapHeader,
} from './header.ts';

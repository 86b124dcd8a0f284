export { extractLayer, DEFAULT_MAX_BYTES } from './extract.js';
export type { ExtractOptions, ExtractWarning, LayerResult } from './extract.js';
export { detectCompression, ZSTD_IMPLEMENTATION } from './compression.js';
export type { Compression } from './compression.js';
export { displayPath } from './display-path.js';
export { readImageLayers } from './oci-layout.js';
export type { Descriptor, ImageLayers } from './oci-layout.js';

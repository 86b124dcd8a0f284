// inversify and reflect-metadata as the library uses them. The build replaces the
// compiled file with a one-file bundle: inversify's ~370 ESM files cost ~130 ms to import,
// the bundle ~6 ms, and every plugin child pays that at start.
import 'reflect-metadata';

export * from 'inversify';

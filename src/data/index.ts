/** Public API of `data`. */
export type * from './types.js';
export { parseCsv, createCsvParser, readCsvRecords } from './csv.js';
export type { CsvOptions, CsvRecord, CsvParser } from './csv.js';
export { validateSchema, DEFAULT_MISSING } from './schema.js';
export type { DataSchema, FeatureColumnSchema, TaskColumnSchema } from './schema.js';
export { readTable, formatFromPath } from './table.js';
export type { ColumnTable, FileFormat, ReadTableOptions, CsvTableOptions } from './table.js';
export { encodeSplits, MISSING_INDEX, OOV_INDEX } from './encode.js';
export type { DataEncoding, FeatureEncoding, EncodedData, SplitSources } from './encode.js';
export { seededSplit } from './split.js';
export type { SplitFractions, SplitIndices } from './split.js';
export { loadTabularFile, tabularFileLoader } from './user.js';
export type { TabularDataset, TabularFileOptions } from './user.js';

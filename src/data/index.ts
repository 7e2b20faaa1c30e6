/** Public API of `data`. */
export type * from './types.js';
export { parseCsv, createCsvParser, readCsvRecords } from './csv.js';
export type { CsvOptions, CsvRecord, CsvParser } from './csv.js';
export { validateSchema, DEFAULT_MISSING } from './schema.js';
export type { DataSchema, FeatureColumnSchema, TaskColumnSchema } from './schema.js';
export { readTable, formatFromPath } from './table.js';
export type {
  ColumnTable,
  Column,
  NumColumn,
  CatColumn,
  FileFormat,
  ReadTableOptions,
  CsvTableOptions,
} from './table.js';
export { encodeSplits, MISSING_INDEX, OOV_INDEX } from './encode.js';
export type {
  DataEncoding,
  FeatureEncoding,
  EncodedData,
  SplitSources,
  SplitSource,
} from './encode.js';
export { seededSplit } from './split.js';
export type { SplitFractions, SplitIndices } from './split.js';
export { loadTabularFile, tabularFileLoader } from './user.js';
export type { TabularDataset, TabularFileOptions } from './user.js';
export { embeddedDataPath } from './embedded.js';
export {
  DEFAULT_DATASET_ID,
  marketingIncome,
  marketingIncomeSchema,
  MARKETING_COLUMNS,
} from './marketing-income.js';
export { multiDigits, makeDigitPairs, readDigits } from './multi-digits.js';
export type { DigitPairs, DigitSource, PairOptions } from './multi-digits.js';
export { tecatorMeats, TECATOR_SCHEMA } from './tecator-meats.js';
export { yeast, yeastSchema } from './yeast.js';
export { mmoeSynthetic, generateMmoeSynthetic } from './mmoe-synthetic.js';
export type { MmoeSyntheticParams, MmoeSyntheticTruth } from './mmoe-synthetic.js';
export { splitToBatch, disposeBatch, batchIndices } from './batches.js';
export type { BatchIndicesOptions } from './batches.js';
export {
  censusIncome,
  censusSchema,
  CENSUS_COLUMNS,
  CENSUS_NUMERIC,
  CENSUS_COLLEGE_VALUES,
} from './census-income.js';
export { adult, adultSchema, ADULT_COLUMNS, ADULT_NUMERIC, type AdultFnlwgt } from './adult.js';
export { aliCcp, ALI_CCP_FIELDS } from './ali-ccp.js';
export { aliExpress, aliExpressSchema } from './aliexpress.js';
export { allRows } from './split.js';

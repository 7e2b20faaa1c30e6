/** Registry entries of this module. Append new entries to the array (one import + one line each). */
import type { RegistryEntry } from '../registry/types.js';
import { adultEntry } from './adult.js';
import { aliCcpEntry } from './ali-ccp.js';
import { aliExpressEntry } from './aliexpress.js';
import { censusIncomeEntry } from './census-income.js';
import { marketingIncomeEntry } from './marketing-income.js';
import { mmoeSyntheticEntry } from './mmoe-synthetic.js';
import { multiDigitsEntry } from './multi-digits.js';
import { tecatorMeatsEntry } from './tecator-meats.js';
import { tabularFileEntry } from './user.js';
import { yeastEntry } from './yeast.js';

export const entries: readonly RegistryEntry[] = [
  marketingIncomeEntry as RegistryEntry,
  multiDigitsEntry as RegistryEntry,
  tecatorMeatsEntry as RegistryEntry,
  yeastEntry as RegistryEntry,
  mmoeSyntheticEntry as RegistryEntry,
  tabularFileEntry as RegistryEntry,
  censusIncomeEntry as RegistryEntry,
  adultEntry as RegistryEntry,
  aliCcpEntry as RegistryEntry,
  aliExpressEntry as RegistryEntry,
];

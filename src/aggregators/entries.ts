/** Registry entries of this module. Append new entries to the array (one import + one line each). */
import type { RegistryEntry } from '../registry/types.js';
import { meanEntry } from './mean.js';
import { sumEntry } from './sum.js';
import { constantEntry } from './constant.js';
import { randomEntry } from './random.js';
import { mgdaEntry } from './mgda.js';
import { pcgradEntry } from './pcgrad.js';
import { gradvacEntry } from './gradvac.js';
import { upgradEntry } from './upgrad.js';
import { dualprojEntry } from './dualproj.js';
import { cagradEntry } from './cagrad.js';
import { imtlGEntry } from './imtl-g.js';
import { alignedMtlEntry } from './aligned-mtl.js';
import { nashMtlEntry } from './nash-mtl.js';
import { configEntry } from './config.js';
import { graddropEntry } from './graddrop.js';
import { crMogmEntry } from './cr-mogm.js';
import { dbMtlEntry } from './db-mtl.js';
import { excessMtlEntry } from './excess-mtl.js';
import { fairgradEntry } from './fairgrad.js';
import { gradnormEntry } from './gradnorm.js';
import { krumEntry } from './krum.js';
import { mocoEntry } from './moco.js';
import { modoEntry } from './modo.js';
import { sdmgradEntry } from './sdmgrad.js';
import { trimmedMeanEntry } from './trimmed-mean.js';
import { imtlEntry } from './imtl.js';
import { gdodEntry } from './gdod.js';
import { cogradEntry } from './cograd.js';

export const entries: readonly RegistryEntry[] = [
  meanEntry as RegistryEntry,
  sumEntry as RegistryEntry,
  constantEntry as RegistryEntry,
  randomEntry as RegistryEntry,
  mgdaEntry as RegistryEntry,
  pcgradEntry as RegistryEntry,
  gradvacEntry as RegistryEntry,
  upgradEntry as RegistryEntry,
  dualprojEntry as RegistryEntry,
  cagradEntry as RegistryEntry,
  imtlGEntry as RegistryEntry,
  alignedMtlEntry as RegistryEntry,
  nashMtlEntry as RegistryEntry,
  configEntry as RegistryEntry,
  graddropEntry as RegistryEntry,
  fairgradEntry as RegistryEntry,
  krumEntry as RegistryEntry,
  trimmedMeanEntry as RegistryEntry,
  modoEntry as RegistryEntry,
  sdmgradEntry as RegistryEntry,
  gradnormEntry as RegistryEntry,
  dbMtlEntry as RegistryEntry,
  mocoEntry as RegistryEntry,
  excessMtlEntry as RegistryEntry,
  crMogmEntry(() => entries) as RegistryEntry,
  imtlEntry as RegistryEntry,
  gdodEntry as RegistryEntry,
  cogradEntry as RegistryEntry,
];

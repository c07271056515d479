import { join, sep } from 'node:path';
import { REPO_ROOT } from './runtimes.js';

/** The repository's committed model files (models/), with a trailing separator. */
export const MODELS_DIR = join(REPO_ROOT, 'models') + sep;

/** A file or directory in models/, by its name there, extension included (`iris-classifier.onnx`, `tf-iris`). */
export const modelPath = (name: string): string => join(MODELS_DIR, name);

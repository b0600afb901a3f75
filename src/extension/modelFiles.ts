/** Which files are models the extension offers to analyze (kept in step with package.json menus). */
export const MODEL_EXTENSIONS = ['.safetensors', '.npz', '.h5', '.keras', '.pt', '.pth', '.onnx'] as const;

export const DEFAULT_MODEL_GLOBS = [
  '**/*.safetensors', '**/*.h5', '**/*.keras', '**/*.pt', '**/*.pth', '**/*.onnx', '**/model.json',
];

/** Extensions of files that can hold training or test data. */
export const DATA_EXTENSIONS = ['.npz', '.npy', '.csv', '.json'] as const;

export const SIDECAR_SUFFIX = '.flatness.json';

export function baseName(path: string): string {
  const trimmed = path.replace(/[\\/]+$/, '');
  const slash = Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\'));
  return trimmed.slice(slash + 1);
}

export function isModelFile(path: string): boolean {
  const name = baseName(path).toLowerCase();
  if (name === 'model.json') return true;
  return MODEL_EXTENSIONS.some((extension) => name.endsWith(extension));
}

export function isDataCandidate(path: string): boolean {
  const name = baseName(path).toLowerCase();
  if (name.endsWith(SIDECAR_SUFFIX) || name === 'model.json' || name === 'package.json' || name.endsWith('.schema.json')) return false;
  return DATA_EXTENSIONS.some((extension) => name.endsWith(extension));
}

/**
 * Orders training-data candidates for a model: files in the model's own folder first, then
 * names that look like training data, then the rest alphabetically.
 */
export function rankDataCandidates(modelPath: string, candidates: string[]): string[] {
  const folder = modelPath.slice(0, modelPath.length - baseName(modelPath).length);
  const score = (path: string): number => {
    const name = baseName(path).toLowerCase();
    let value = 0;
    if (path.startsWith(folder) && !path.slice(folder.length).includes('/')) value -= 4;
    if (/train/.test(name)) value -= 2;
    if (/test|val/.test(name)) value += 1;
    return value;
  };
  return [...candidates].filter((path) => path !== modelPath).sort((a, b) => score(a) - score(b) || a.localeCompare(b));
}

/** Names that say "held out": test, val(idation), holdout, heldout, eval. */
export function isTestDataName(path: string): boolean {
  return /(^|[^a-z])(test|val|valid|validation|holdout|heldout|held-out|eval)([^a-z]|$)/.test(baseName(path).toLowerCase());
}

/**
 * Orders test-data candidates for the given training data: held-out names in the training
 * data's own folder first, then held-out names elsewhere, then files in that folder, then the rest.
 */
export function rankTestCandidates(trainingPath: string, candidates: string[]): string[] {
  const folder = trainingPath.slice(0, trainingPath.length - baseName(trainingPath).length);
  const score = (path: string): number => {
    const beside = path.startsWith(folder) && !path.slice(folder.length).includes('/');
    return (isTestDataName(path) ? 0 : 2) + (beside ? 0 : 1);
  };
  return [...candidates].filter((path) => path !== trainingPath).sort((a, b) => score(a) - score(b) || a.localeCompare(b));
}

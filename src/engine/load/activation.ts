import { unsupported } from '../errors';
import { ACTIVATION_NAMES, parseActivation } from '../math/activations';
import type { ActivationSource, ActivationSpec } from '../model/types';

export interface ResolvedActivation {
  spec: ActivationSpec;
  source: ActivationSource;
  /** Set when the activation was assumed, for source.notes. */
  note: string | null;
}

/**
 * Activation precedence: what the file stores > options.activation > ReLU (assumed; the
 * analysis adds a warning). `fileText` is the raw text stored in the file, parsed here so an
 * unknown name is an 'unsupported' error that names the file.
 */
export function resolveActivation(
  file: string,
  fileText: string | null | undefined,
  option: ActivationSpec | undefined,
  where = 'the file',
): ResolvedActivation {
  if (fileText !== null && fileText !== undefined) {
    const spec = parseActivation(fileText);
    if (spec === null) {
      throw unsupported(file, `activation '${fileText}' stored in ${where} is not supported (known: ${ACTIVATION_NAMES.join(', ')})`);
    }
    return { spec, source: 'file', note: null };
  }
  if (option !== undefined) return { spec: option, source: 'option', note: null };
  return {
    spec: { name: 'relu' },
    source: 'assumed',
    note: 'the file stores no activation; ReLU was assumed (pass an activation to override)',
  };
}

// The engine's renderers format through the one shared module (src/shared/format.ts), as the webview does.
export {
  architectureLabel, biasLabel, formatInterval, formatMaybe, formatMaybeWithReason, formatMs, formatNumber, formatPercent,
  formatThreshold, isRarelyActive, neuronState, neuronStatusText, rarelyActiveThreshold, type NeuronState,
} from '../../shared/format';

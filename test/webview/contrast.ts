/**
 * WCAG contrast of every piece of text on the page, on computed colours: the text colour (blended
 * over its background when translucent) against the first opaque background behind it.
 */
import type { Page } from 'playwright-core';

export interface ContrastFailure {
  element: string;
  text: string;
  ratio: number;
  foreground: string;
  background: string;
}

export async function contrastFailures(page: Page, minimum = 4.5): Promise<ContrastFailure[]> {
  // tsx compiles named inner functions with an __name helper that the page does not have.
  await page.evaluate('globalThis.__name = globalThis.__name || ((f) => f)');
  return page.evaluate((min) => {
    type Rgba = [number, number, number, number];
    const parse = (css: string): Rgba => {
      const m = css.match(/rgba?\(([^)]+)\)/);
      if (!m) return [0, 0, 0, 0];
      const parts = m[1]!.split(/[\s,/]+/).filter(Boolean).map(Number);
      return [parts[0]!, parts[1]!, parts[2]!, parts[3] ?? 1];
    };
    const over = (top: Rgba, bottom: Rgba): Rgba => {
      const a = top[3];
      return [top[0] * a + bottom[0] * (1 - a), top[1] * a + bottom[1] * (1 - a), top[2] * a + bottom[2] * (1 - a), 1];
    };
    const channel = (v: number): number => {
      const c = v / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    };
    const luminance = (c: Rgba): number => 0.2126 * channel(c[0]) + 0.7152 * channel(c[1]) + 0.0722 * channel(c[2]);
    const background = (element: Element | null): Rgba => {
      const layers: Rgba[] = [];
      for (let node = element; node; node = node.parentElement) {
        const colour = parse(getComputedStyle(node).backgroundColor);
        if (colour[3] > 0) layers.push(colour);
        if (colour[3] >= 1) break;
      }
      let result: Rgba = [255, 255, 255, 1];
      if (layers.length === 0 || layers[layers.length - 1]![3] < 1) result = parse(getComputedStyle(document.documentElement).backgroundColor)[3] > 0 ? parse(getComputedStyle(document.documentElement).backgroundColor) : result;
      for (const layer of layers.reverse()) result = over(layer, result);
      return result;
    };
    const describe = (element: Element): string => `${element.tagName.toLowerCase()}${element.className && typeof element.className === 'string' ? '.' + element.className.trim().split(/\s+/).join('.') : ''}`;
    const failures: { element: string; text: string; ratio: number; foreground: string; background: string }[] = [];
    for (const element of Array.from(document.querySelectorAll('#app *'))) {
      // Web components (the toolkit's buttons) style their own shadow DOM; icon glyphs are not text.
      // Decorative glyphs (aria-hidden: the model markers beside their names) are not text either.
      if (element.tagName.includes('-') || element.closest('[class*="codicon"]') || element.closest('[aria-hidden="true"]') || element.tagName === 'OPTION') continue;
      const text = Array.from(element.childNodes).filter((node) => node.nodeType === Node.TEXT_NODE).map((node) => node.textContent ?? '').join('').trim();
      if (!text) continue;
      const style = getComputedStyle(element);
      if (style.visibility === 'hidden' || style.display === 'none' || element.getClientRects().length === 0) continue;
      const back = background(element);
      const fore = over(parse(style.color), back);
      const [l1, l2] = [luminance(fore), luminance(back)].sort((a, b) => b - a) as [number, number];
      const ratio = (l1 + 0.05) / (l2 + 0.05);
      if (ratio < min) failures.push({ element: describe(element), text: text.slice(0, 40), ratio: Math.round(ratio * 100) / 100, foreground: style.color, background: `rgb(${back.slice(0, 3).map(Math.round).join(',')})` });
    }
    return failures;
  }, minimum);
}

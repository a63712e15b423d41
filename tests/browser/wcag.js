// WCAG 2.1 AA colour contrast, measured in the page from computed styles (no external checker).
// Evaluated by tests/browser/wcag.py as `page.evaluate(source, {check})`:
//   check "text":  every visible element with its own text (and every filled form control) →
//                  {checked, failures: [{selector, text, color, background, ratio, required}]}
//   check "focus": the focused element's focus indicator → null when nothing is focused, else
//                  {selector, repeat, indicator, color, background, ratio}
({ check }) => {
  const ctx = document.createElement("canvas").getContext("2d", { willReadFrequently: true });

  // Any CSS colour as [r, g, b, a] (0-255, alpha 0-1). Chromium's computed colours are
  // rgb()/rgba(); other syntaxes (color(), oklch()) are painted on a canvas and read back.
  function parse(value) {
    const m = value.match(
      /^rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:\s*[,/]\s*([\d.]+)(%?))?\s*\)$/,
    );
    if (m) {
      const alpha = m[4] === undefined ? 1 : parseFloat(m[4]) / (m[5] ? 100 : 1);
      return [+m[1], +m[2], +m[3], alpha];
    }
    if (value === "transparent") return [0, 0, 0, 0];
    ctx.clearRect(0, 0, 1, 1);
    ctx.fillStyle = "rgba(0, 0, 0, 0)";
    ctx.fillStyle = value;
    ctx.fillRect(0, 0, 1, 1);
    const [r, g, b, a] = ctx.getImageData(0, 0, 1, 1).data;
    return [r, g, b, a / 255];
  }

  // Source-over compositing of `top` on `bottom`.
  function blend(top, bottom) {
    const a = top[3] + bottom[3] * (1 - top[3]);
    if (a === 0) return [0, 0, 0, 0];
    const channel = (i) => (top[i] * top[3] + bottom[i] * bottom[3] * (1 - top[3])) / a;
    return [channel(0), channel(1), channel(2), a];
  }

  function luminance([r, g, b]) {
    const linear = (c) => {
      const s = c / 255;
      return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
  }

  function ratio(a, b) {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  }

  const css = ([r, g, b, a]) =>
    `rgba(${Math.round(r)}, ${Math.round(g)}, ${Math.round(b)}, ${+a.toFixed(3)})`;

  function describe(el) {
    const parts = [];
    for (let node = el; node && node !== document.body && parts.length < 4; node = node.parentElement) {
      let part = node.tagName.toLowerCase();
      if (node.id) part += `#${node.id}`;
      for (const name of node.classList) part += `.${name}`;
      parts.unshift(part);
      if (node.id) break;
    }
    return parts.join(" > ");
  }

  // The colour painted behind `el`: its own and its ancestors' backgrounds, composited from the
  // first opaque one (or the white canvas) upwards. A background image cannot be measured this
  // way, so it is reported instead of guessed.
  function background(el) {
    const layers = [];
    for (let node = el; node; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (style.backgroundImage !== "none") {
        return { error: `background image on ${describe(node)}: check its contrast by eye` };
      }
      const colour = parse(style.backgroundColor);
      if (colour[3] > 0) layers.push(colour);
      if (colour[3] >= 1) break;
    }
    let colour = [255, 255, 255, 1];
    for (const layer of layers.reverse()) colour = blend(layer, colour);
    return { colour };
  }

  function opacity(el) {
    let value = 1;
    for (let node = el; node; node = node.parentElement) {
      value *= parseFloat(getComputedStyle(node).opacity);
    }
    return value;
  }

  // Hidden on screen although present in the layout: the .visually-hidden pattern (a 1px box
  // that clips its overflow, or clip: rect(0 0 0 0)) and text moved off the page.
  function hiddenOnScreen(el) {
    for (let node = el; node; node = node.parentElement) {
      const style = getComputedStyle(node);
      const box = node.getBoundingClientRect();
      const clips = style.overflowX !== "visible" || style.overflowY !== "visible";
      if (clips && (box.width <= 1 || box.height <= 1)) return true;
      if (style.clip !== "auto" && /rect\(0(px)?,? 0(px)?,? 0(px)?,? 0(px)?\)/.test(style.clip)) {
        return true;
      }
      if (box.right + window.scrollX < 0 || box.bottom + window.scrollY < 0) return true;
    }
    return false;
  }

  function visible(el) {
    return (
      el.checkVisibility({ visibilityProperty: true, opacityProperty: true }) &&
      el.getClientRects().length > 0 &&
      !hiddenOnScreen(el)
    );
  }

  // Inactive controls are exempt from 1.4.3 ("part of an inactive user interface component").
  const disabled = (el) => el.closest(':disabled, [aria-disabled="true"], [inert]') !== null;

  const FILLED_CONTROLS = "input:not([type=hidden]):not([type=checkbox]):not([type=radio])" +
    ":not([type=submit]):not([type=button]):not([type=image]):not([type=range])" +
    ":not([type=color]):not([type=file]), select, textarea";

  function textOwners() {
    const owners = new Map(); // element → its text and the pseudo-element painting it
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const node = walker.currentNode;
      const el = node.parentElement;
      const text = node.nodeValue.trim();
      if (!text || !el || ["SCRIPT", "STYLE", "TEMPLATE", "OPTION", "NOSCRIPT"].includes(el.tagName)) continue;
      owners.set(el, { text: ((owners.get(el)?.text ?? "") + " " + text).trim(), pseudo: null });
    }
    for (const el of document.querySelectorAll(FILLED_CONTROLS)) {
      if (el.tagName === "SELECT") {
        const text = el.selectedOptions[0]?.textContent.trim();
        if (text) owners.set(el, { text, pseudo: null });
      } else if (el.value) {
        owners.set(el, { text: el.value, pseudo: null });
      } else if (el.placeholder) {
        owners.set(el, { text: el.placeholder, pseudo: "::placeholder" });
      }
    }
    return owners;
  }

  function textFailures() {
    const failures = [];
    let checked = 0;
    for (const [el, { text, pseudo }] of textOwners()) {
      if (!visible(el) || disabled(el)) continue;
      checked += 1;
      const style = getComputedStyle(el, pseudo);
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && parseInt(style.fontWeight, 10) >= 700);
      const required = large ? 3 : 4.5;
      const selector = describe(el) + (pseudo ?? "");
      const snippet = text.slice(0, 60);
      const behind = background(el);
      if (behind.error) {
        failures.push({ selector, text: snippet, error: behind.error });
        continue;
      }
      const ink = parse(style.color);
      ink[3] *= opacity(el);
      const shown = blend(ink, behind.colour);
      const value = ratio(shown, behind.colour);
      if (value < required) {
        failures.push({
          selector,
          text: snippet,
          color: css(ink),
          background: css(behind.colour),
          ratio: +value.toFixed(2),
          required,
          font: `${style.fontSize} ${style.fontWeight}`,
        });
      }
    }
    return { checked, failures };
  }

  // 2.4.7 and 1.4.11: a focus indicator (outline, or box-shadow when the outline is none) whose
  // colour has 3:1 against what it is drawn on: the parent's background outside the element
  // (outline-offset >= 0 or an outer shadow), and the element's own when it touches or is inset.
  function focusIndicator() {
    const el = document.activeElement;
    if (!el || el === document.body || el === document.documentElement) return null;
    const repeat = el.__wcagFocusSeen === true;
    el.__wcagFocusSeen = true;
    const selector = describe(el);
    const style = getComputedStyle(el);
    let indicator, colour, inset;
    const offset = parseFloat(style.outlineOffset) || 0;
    if (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0) {
      indicator = `outline ${style.outlineStyle} ${style.outlineWidth} offset ${style.outlineOffset}`;
      colour = parse(style.outlineColor);
      inset = offset < 0;
    } else if (style.boxShadow !== "none") {
      indicator = `box-shadow ${style.boxShadow}`;
      const first = style.boxShadow.match(/rgba?\([^)]*\)|#[0-9a-f]{3,8}/i);
      colour = first ? parse(first[0]) : [0, 0, 0, 0];
      inset = / inset/.test(style.boxShadow);
    } else {
      return { selector, repeat, indicator: "none", ratio: 0 };
    }
    const against = [];
    if (!inset) against.push(background(el.parentElement || el));
    if (inset || offset === 0) against.push(background(el));
    const error = against.find((b) => b.error);
    if (error) return { selector, repeat, indicator, error: error.error };
    let worst = null;
    for (const { colour: bg } of against) {
      const shown = blend(colour, bg);
      const value = ratio(shown, bg);
      if (worst === null || value < worst.ratio) {
        worst = { background: css(bg), ratio: +value.toFixed(2) };
      }
    }
    return { selector, repeat, indicator, color: css(colour), ...worst };
  }

  if (check === "text") return textFailures();
  if (check === "focus") return focusIndicator();
  throw new Error(`unknown check ${check}`);
};

// Layout problems of the page as drawn, read from element boxes (e2e/test_pages.py).
// Returns a list of {check, element, detail}; `narrow` is true at phone width (375 px).
(narrow) => {
  const problems = [];
  const TOLERANCE = 1; // px: boxes that merely touch do not overlap
  const describe = (element) => {
    let name = element.tagName.toLowerCase();
    if (element.id) name += `#${element.id}`;
    else if (element.getAttribute("name")) name += `[name=${element.getAttribute("name")}]`;
    else if (element.classList.length) name += "." + [...element.classList].join(".");
    const text = (element.getAttribute("aria-label") || element.textContent || element.value || "").trim().replace(/\s+/g, " ");
    return text ? `${name} "${text.slice(0, 40)}"` : name;
  };
  const visible = (element) => {
    // checkVisibility: not display:none, not visibility:hidden, not inside a closed <details>
    // (its content is laid out but hidden by content-visibility).
    if (!element.checkVisibility({ visibilityProperty: true, contentVisibilityAuto: true })) return false;
    const box = element.getBoundingClientRect();
    return box.width > 0 && box.height > 0;
  };
  const overlap = (a, b) =>
    a.left < b.right - TOLERANCE && b.left < a.right - TOLERANCE && a.top < b.bottom - TOLERANCE && b.top < a.bottom - TOLERANCE;
  const clippedAway = (element) => {
    // Visually hidden text (the .visually-hidden pattern) and content of a clipped box.
    for (let node = element; node && node !== document.body; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (style.clip && style.clip !== "auto") return true;
      if (style.clipPath && style.clipPath !== "none") return true;
    }
    return false;
  };

  // 1. No horizontal scrolling.
  const scrollWidth = document.documentElement.scrollWidth;
  if (scrollWidth > window.innerWidth + TOLERANCE) {
    const widest = [...document.body.querySelectorAll("*")]
      .filter((element) => element.getBoundingClientRect().right > window.innerWidth + TOLERANCE && visible(element))
      .filter((element) => ![...element.children].some((child) => child.getBoundingClientRect().right > window.innerWidth + TOLERANCE))
      .slice(0, 3);
    problems.push({
      check: "horizontal scroll",
      element: widest.map(describe).join(", ") || "html",
      detail: `page is ${scrollWidth} px wide in a ${window.innerWidth} px window`,
    });
  }

  // 2. Forms: one control per row at phone width (and in stacked forms at every width), each
// label above or to the left of its control.
  // A group of radio buttons or checkboxes sharing a name is one control (a rating scale
  // reads across), and a checkbox's or radio's label sits to its right, as is usual.
  for (const form of document.querySelectorAll("form")) {
    const controls = [...form.querySelectorAll("input, select, textarea, button")]
      .filter((control) => control.type !== "hidden" && visible(control) && !clippedAway(control));
    const groups = new Map();
    for (const control of controls) {
      const key = ["radio", "checkbox"].includes(control.type) && control.name ? `group:${control.name}` : control;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(control);
    }
    const boxes = [...groups.values()].map((members) => {
      const rects = members.map((member) => member.getBoundingClientRect());
      return {
        element: members[0],
        top: Math.min(...rects.map((r) => r.top)),
        bottom: Math.max(...rects.map((r) => r.bottom)),
        left: Math.min(...rects.map((r) => r.left)),
        right: Math.max(...rects.map((r) => r.right)),
      };
    });
    // At any width, a form of the house's stacked style holds one control per row.
    if (narrow || form.classList.contains("stacked")) {
      for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
          const a = boxes[i], b = boxes[j];
          const sameRow = a.top < b.bottom - TOLERANCE && b.top < a.bottom - TOLERANCE;
          // Buttons side by side answer one question ("Yes" / "No"): a group, like radio buttons.
          const buttons = [a, b].every((box) => box.element.tagName === "BUTTON" || box.element.type === "submit");
          if (sameRow && !buttons) {
            problems.push({
              check: "controls share a row",
              element: `${describe(a.element)} and ${describe(b.element)}`,
              detail: `in form ${describe(form)}`,
            });
          }
        }
      }
    }
    for (const control of controls) {
      if (control.tagName === "BUTTON" || ["submit", "button", "reset"].includes(control.type)) continue;
      const labels = [...(control.labels || [])].filter((label) => visible(label) && !clippedAway(label));
      if (!labels.length) continue; // named by aria-label or a hidden label: axe checks the name
      const box = control.getBoundingClientRect();
      const placed = labels.some((label) => {
        const l = label.getBoundingClientRect();
        if (label.contains(control)) return true; // the label wraps its control
        if (["radio", "checkbox"].includes(control.type)) return true;
        const above = l.bottom <= box.top + TOLERANCE;
        const leftInRow = l.right <= box.left + TOLERANCE && l.top < box.bottom && box.top < l.bottom;
        return above || leftInRow;
      });
      if (!placed) {
        problems.push({ check: "label not above or left of its control", element: describe(control), detail: "" });
      }
    }
  }

  // 3. No text overlaps another element's text or a control (SVG chart labels included).
  const textBoxes = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode: (node) => (node.textContent.trim() ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_REJECT),
  });
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const owner = node.parentElement;
    if (!owner || !visible(owner) || clippedAway(owner) || owner.closest("script, style, noscript, template, option")) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const rect of range.getClientRects()) {
      if (rect.width > 0 && rect.height > 0) textBoxes.push({ owner, rect });
    }
  }
  const controlBoxes = [...document.querySelectorAll("input, select, textarea, img, svg rect")]
    .filter((element) => element.type !== "hidden" && visible(element) && !clippedAway(element))
    .map((element) => ({ owner: element, rect: element.getBoundingClientRect() }));
  const related = (a, b) => a === b || a.contains(b) || b.contains(a);
  const reported = new Set();
  const report = (a, b, what) => {
    const key = [describe(a.owner), describe(b.owner)].sort().join("|");
    if (reported.has(key)) return;
    reported.add(key);
    problems.push({ check: `text overlaps ${what}`, element: `${describe(a.owner)} and ${describe(b.owner)}`, detail: "" });
  };
  for (let i = 0; i < textBoxes.length; i++) {
    for (let j = i + 1; j < textBoxes.length; j++) {
      const a = textBoxes[i], b = textBoxes[j];
      if (!related(a.owner, b.owner) && overlap(a.rect, b.rect)) report(a, b, "text");
    }
    for (const control of controlBoxes) {
      const a = textBoxes[i];
      if (!related(a.owner, control.owner) && !control.owner.closest("label")?.contains(a.owner) && overlap(a.rect, control.rect)) {
        report(a, control, "a control or image");
      }
    }
  }

  // 4. Touch targets at least 24 x 24 px at phone width (WCAG 2.5.8). Links inside a line of
  // text are exempt, as the criterion exempts inline targets.
  if (narrow) {
    const targets = document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea, summary");
    for (const target of targets) {
      if (!visible(target) || clippedAway(target)) continue;
      const box = target.getBoundingClientRect();
      if (box.width >= 24 - 0.5 && box.height >= 24 - 0.5) continue;
      if (target.tagName === "A" && getComputedStyle(target).display === "inline") {
        const line = target.parentElement;
        const ownText = (target.textContent || "").trim();
        const lineText = (line?.textContent || "").trim();
        if (lineText.length > ownText.length) continue; // a link within a sentence
      }
      // Radio buttons and checkboxes count with their label, which is also a target for them.
      if (["radio", "checkbox"].includes(target.type)) {
        const label = target.labels && target.labels[0];
        if (label) {
          const l = label.getBoundingClientRect();
          if (Math.max(l.height, box.height) >= 24 - 0.5) continue;
        }
      }
      problems.push({
        check: "touch target under 24 x 24 px",
        element: describe(target),
        detail: `${Math.round(box.width)} x ${Math.round(box.height)} px`,
      });
    }
  }
  return problems;
}

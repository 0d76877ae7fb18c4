// A strict XML well-formedness check for the SVG the API draws (no parser dependency): every tag is
// closed in order, attributes are quoted and unique, entities are known; returns the element names.
export function parseSvgElements(text: string): string[] {
  const names: string[] = [];
  const open: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|<!--[\s\S]*?-->|<\?xml[^>]*\?>/g;
  let position = 0;
  let match: RegExpExecArray | null;
  while ((match = tag.exec(text)) !== null) {
    checkText(text.slice(position, match.index));
    position = tag.lastIndex;
    if (match[0].startsWith('<!--') || match[0].startsWith('<?')) continue;
    const [, closing, name, attributes, selfClosing] = match;
    if (closing) {
      if (open.pop() !== name) throw new Error(`</${name}> closes ${open.at(-1) ?? 'nothing'} at ${match.index}`);
      continue;
    }
    const seen = new Set<string>();
    for (const [, attribute] of attributes!.matchAll(/([\w:-]+)="/g)) {
      if (seen.has(attribute!)) throw new Error(`attribute ${attribute} twice on <${name}>`);
      seen.add(attribute!);
    }
    checkText(attributes!);
    names.push(name!);
    if (!selfClosing) open.push(name!);
    if (open.length === 0 && !selfClosing && names.length > 1) throw new Error('more than one root element');
  }
  checkText(text.slice(position));
  if (open.length > 0) throw new Error(`unclosed <${open.join('>, <')}>`);
  if (names[0] !== 'svg') throw new Error(`the root element is <${names[0]}>, not <svg>`);
  return names;
}

function checkText(text: string) {
  if (/<|>/.test(text.replace(/&[^;]*;/g, ''))) throw new Error(`stray markup in ${JSON.stringify(text.slice(0, 60))}`);
  for (const [entity] of text.matchAll(/&[^;\s]*;?/g)) {
    if (!/^&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);$/.test(entity)) throw new Error(`bad entity ${entity}`);
  }
}

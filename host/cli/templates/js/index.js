// {{name}}: a Wask task in JavaScript. Each export of the world in wit/world.wit is an
// export of this module, in camelCase: `count-words` is `countWords`.

export function countWords(text) {
  return text.split(/\s+/).filter((word) => word.length > 0).length;
}

// `npm run bench`: every benchmark of the project, each printed as a ratio against a baseline measured
// in the same run (the machines are shared and noisy: compare ratios, not absolute numbers).
const suites = process.argv.slice(2)
const all = ['rest', 'transfers', 'rpc']
for (const name of suites.length > 0 ? suites : all) {
  const { run } = await import(`./${name}.js`)
  await run()
}

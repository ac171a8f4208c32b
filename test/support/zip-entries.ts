import yauzl from "yauzl";

/** Every entry of a zip held in memory (a results zip as the API sent it), by name, as bytes. */
export async function zipBuffers(bytes: Buffer): Promise<Map<string, Buffer>> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => yauzl.fromBuffer(bytes, { lazyEntries: true }, (err, z) => (err ? reject(err) : resolve(z!))));
  const entries = new Map<string, Buffer>();
  await new Promise<void>((resolve, reject) => {
    zip.on("entry", (entry: yauzl.Entry) => {
      zip.openReadStream(entry, (err, stream) => {
        if (err) return reject(err);
        const chunks: Buffer[] = [];
        stream!.on("data", (c: Buffer) => chunks.push(c));
        stream!.on("end", () => {
          entries.set(entry.fileName, Buffer.concat(chunks));
          zip.readEntry();
        });
        stream!.on("error", reject);
      });
    });
    zip.on("end", () => resolve());
    zip.on("error", reject);
    zip.readEntry();
  });
  return entries;
}

/** zipBuffers, each entry as UTF-8 text. */
export async function zipTexts(bytes: Buffer): Promise<Map<string, string>> {
  return new Map([...(await zipBuffers(bytes))].map(([name, content]) => [name, content.toString("utf8")]));
}

// `experiment.files`: ml_dash's file API over a g run's files/ folder, the
// twin of src/sdk/python/g_runs/artifacts.py. A saved file lands at
// <run>/files/<path>/<filename> and is described in <run>/files.json (ml_dash's
// file record); path + filename are its identity, so saving the same path
// again replaces it. Bytes go to a temporary name and are renamed into place;
// files.json is replaced atomically under the run directory's lock.

import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmdirSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { writeJsonAtomic } from "../store/fs-atomic.js";
import { FILES_DIR, SDK_FILES_FILE, isoNow, withDirLockSync, type SdkFile } from "../store/store.js";

/** What an experiment lends its files: where it writes now, and its mark inside a g run. */
export interface FileHost {
  /** Starts the run if needed and returns its directory; throws once the run has finished. */
  openDir(): string;
  /** `{ exp: token }` while writing into a g run it may later leave for a child run, else {}. */
  mark(): { exp?: string };
  readonly id: string | null;
}

/** What a file is saved with (ml_dash's FileBuilder options). */
export interface FileOptions {
  description?: string;
  tags?: string[];
  bindrs?: string[];
  metadata?: unknown;
  /** A file's id, for download, delete and update. */
  fileId?: string;
}

/** A file record as stored in files.json (the SDK's bookkeeping `exp` is left out of what callers get). */
export type FileRecord = SdkFile & { bindrs?: string[]; updatedAt?: string; exp?: string };

const MIME_TYPES: Record<string, string> = {
  json: "application/json",
  txt: "text/plain",
  yaml: "application/yaml",
  yml: "application/yaml",
  csv: "text/csv",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  pdf: "application/pdf",
  mp4: "video/mp4",
};

/** A folder inside files/: "/models//best/" → "models/best"; ".." is refused. */
export function cleanDir(path: string | undefined | null): string {
  const parts = String(path ?? "")
    .replace(/\\/g, "/")
    .split("/")
    .filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) throw new Error(`g-runs: file path "${path}" leaves the run's files/ folder ('..' is not allowed)`);
  return parts.join("/");
}

/** The folder and file name a save writes to: `to` may carry folders of its own, as in ml_dash. */
function splitTarget(dir: string, to: string | undefined, fallback: string): { folder: string; filename: string } {
  const joined = cleanDir(`${dir}/${to ?? fallback}`);
  if (joined === "") throw new Error(`g-runs: no file name in "${to ?? ""}"`);
  const cut = joined.lastIndexOf("/");
  return { folder: cut < 0 ? "" : joined.slice(0, cut), filename: joined.slice(cut + 1) };
}

function fullPath(r: { path: string; filename: string }): string {
  return r.path ? `${r.path}/${r.filename}` : r.filename;
}

function publicRecord(r: FileRecord): FileRecord {
  const { exp: _exp, ...rest } = r;
  return rest;
}

/** A glob as ml_dash's fnmatch takes it: `*`, `?` and `[...]`; `*` also crosses "/". */
function globToRegExp(glob: string): RegExp {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") out += ".*";
    else if (c === "?") out += ".";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 1);
      if (end < 0) out += "\\[";
      else {
        out += `[${glob
          .slice(i + 1, end)
          .replace(/^!/, "^")
          .replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else out += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${out}$`);
}

function isGlob(text: string): boolean {
  return /[*?[]/.test(text);
}

function readRecords(runDir: string): FileRecord[] {
  try {
    const value = JSON.parse(readFileSync(join(runDir, SDK_FILES_FILE), "utf8")) as { files?: unknown };
    return (Array.isArray(value.files) ? value.files : []).filter(
      (r): r is FileRecord => typeof r === "object" && r !== null && typeof (r as FileRecord).filename === "string",
    );
  } catch {
    return [];
  }
}

function changeRecords(runDir: string, change: (records: FileRecord[]) => FileRecord[]): void {
  withDirLockSync(runDir, () => {
    writeJsonAtomic(join(runDir, SDK_FILES_FILE), { files: change(readRecords(runDir)) });
  });
}

function sha256(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/** Copies `source` into files/<folder>/<filename> (temp + fsync + rename) and records it. */
function putFile(host: FileHost, source: string, folder: string, filename: string, opts: FileOptions): FileRecord {
  const runDir = host.openDir();
  let size: number;
  try {
    const st = statSync(source);
    if (!st.isFile()) throw new Error("not a file");
    size = st.size;
  } catch {
    throw new Error(`g-runs: file not found: ${source}`);
  }
  const destDir = join(runDir, FILES_DIR, ...(folder ? folder.split("/") : []));
  mkdirSync(destDir, { recursive: true });
  const tmp = join(destDir, `.${filename}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    copyFileSync(source, tmp);
    const fd = openSync(tmp, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(destDir, filename));
  } catch (err) {
    if (existsSync(tmp)) unlinkSync(tmp);
    throw err;
  }
  const now = isoNow();
  const ext = filename.includes(".") ? filename.slice(filename.lastIndexOf(".") + 1).toLowerCase() : "";
  const record: FileRecord = {
    id: randomBytes(8).toString("hex"),
    path: folder,
    filename,
    description: opts.description ?? null,
    tags: (opts.tags ?? []).map(String),
    bindrs: (opts.bindrs ?? []).map(String),
    contentType: MIME_TYPES[ext] ?? "application/octet-stream",
    sizeBytes: size,
    checksum: sha256(join(destDir, filename)),
    metadata: opts.metadata ?? null,
    uploadedAt: now,
    updatedAt: now,
    ...host.mark(),
  };
  changeRecords(runDir, (records) => [...records.filter((r) => !(r.path === folder && r.filename === filename)), record]);
  return publicRecord(record);
}

/** `experiment.files("models")`: a folder to save into, or a file (or pattern) to read, list or delete. */
export class FileBuilder {
  private readonly dir: string;

  constructor(
    private readonly host: FileHost,
    dir?: string,
    private readonly opts: FileOptions = {},
  ) {
    this.dir = cleanDir(dir);
  }

  /** Copies an existing file into the run; `to` renames it (and may add folders). */
  upload(fpath: string, options: { to?: string } & FileOptions = {}): FileRecord {
    if (!fpath) throw new Error("g-runs: upload() needs the path of a file");
    const { folder, filename } = splitTarget(this.dir, options.to, basename(fpath));
    return putFile(this.host, fpath, folder, filename, { ...this.opts, ...definedOnly(options) });
  }

  /** A file path uploads it; a Buffer/Uint8Array is saved as bytes, an object or array as JSON (`to` required). */
  save(content: string | Uint8Array | object, options: { to?: string } & FileOptions = {}): FileRecord {
    if (typeof content === "string") {
      if (!existsSync(content)) throw new Error(`g-runs: file not found: ${content}`);
      return this.upload(content, options);
    }
    if (!options.to) throw new Error("g-runs: save() of bytes, an object or an array needs { to: NAME }");
    const merged = new FileBuilder(this.host, this.dir, { ...this.opts, ...definedOnly(options) });
    if (content instanceof Uint8Array) return merged.saveBlob(content, { to: options.to });
    return merged.saveJson(content, { to: options.to });
  }

  saveText(content: string, options: { to: string }): FileRecord {
    return this.saveBytes(Buffer.from(String(content), "utf8"), options.to);
  }

  saveJson(content: unknown, options: { to: string }): FileRecord {
    return this.saveBytes(Buffer.from(JSON.stringify(content, null, 2), "utf8"), options.to);
  }

  saveBlob(data: Uint8Array, options: { to: string }): FileRecord {
    if (!(data instanceof Uint8Array)) throw new TypeError("g-runs: saveBlob() takes a Buffer or Uint8Array");
    return this.saveBytes(data, options.to);
  }

  private saveBytes(data: Uint8Array, to: string): FileRecord {
    const { folder, filename } = splitTarget(this.dir, to, "");
    const runDir = this.host.openDir();
    const scratch = join(runDir, `.save-${randomBytes(6).toString("hex")}`);
    mkdirSync(scratch);
    const path = join(scratch, filename);
    try {
      const fd = openSync(path, "w");
      try {
        writeSync(fd, data);
      } finally {
        closeSync(fd);
      }
      return putFile(this.host, path, folder, filename, this.opts);
    } finally {
      try {
        unlinkSync(path);
      } catch {
        /* not written */
      }
      try {
        // Empty now; rmdir keeps anything unexpected instead of deleting it.
        rmdirSync(scratch);
      } catch {
        /* left for g runs purge */
      }
    }
  }

  /** The run's files under this folder (all with files()), optionally matching a glob. */
  list(pattern?: string): FileRecord[] {
    const records = readRecords(this.host.openDir());
    const want = pattern === undefined ? null : globToRegExp(pattern.replace(/^\/+/, ""));
    const under = this.dir === "" ? null : globToRegExp(`${this.dir}/${pattern ?? ""}`);
    return records
      .filter((r) => {
        const full = fullPath(r);
        if (this.dir && full !== this.dir && !full.startsWith(`${this.dir}/`)) return false;
        if ((this.opts.tags ?? []).length > 0 && !(this.opts.tags ?? []).some((t) => (r.tags ?? []).includes(t))) return false;
        if (want && !(want.test(r.filename) || want.test(full) || (under !== null && under.test(full)))) return false;
        return true;
      })
      .map(publicRecord);
  }

  private find(): FileRecord {
    const records = readRecords(this.host.openDir());
    if (this.opts.fileId !== undefined) {
      const hit = records.find((r) => r.id === this.opts.fileId);
      if (!hit) throw new Error(`g-runs: no file with id "${this.opts.fileId}" in run ${this.host.id}`);
      return hit;
    }
    if (this.dir === "") throw new Error("g-runs: name a file, e.g. experiment.files('models/model.pt'), or pass a pattern");
    const hit = records.find((r) => fullPath(r) === this.dir) ?? records.find((r) => r.filename === this.dir);
    if (!hit) throw new Error(`g-runs: file not found: ${this.dir} (in run ${this.host.id})`);
    return hit;
  }

  private localPath(r: FileRecord): string {
    return join(this.host.openDir(), FILES_DIR, ...fullPath(r).split("/"));
  }

  exists(): boolean {
    try {
      this.find();
      return true;
    } catch {
      return false;
    }
  }

  readText(encoding: BufferEncoding = "utf8"): string {
    return readFileSync(this.localPath(this.find()), encoding);
  }

  /** Copies the file out of the run (or every file matching `pattern` into folder `to`); checks its checksum. */
  download(pattern?: string, options: { to?: string } = {}): string | string[] {
    if (pattern !== undefined) {
      const found = this.list(pattern);
      if (found.length === 0) throw new Error(`g-runs: no files match "${pattern}"`);
      const folder = options.to ?? ".";
      mkdirSync(folder, { recursive: true });
      return found.map((r) => this.copyOut(r, join(folder, r.filename)));
    }
    const record = this.find();
    return this.copyOut(record, options.to ?? record.filename);
  }

  private copyOut(r: FileRecord, to: string): string {
    let dest = to;
    if (existsSync(dest) && statSync(dest).isDirectory()) dest = join(dest, r.filename);
    mkdirSync(dirname(resolve(dest)), { recursive: true });
    copyFileSync(this.localPath(r), dest);
    if (r.checksum && sha256(dest) !== r.checksum)
      throw new Error(`g-runs: checksum mismatch for ${fullPath(r)}: the stored file was changed`);
    return dest;
  }

  delete(pattern?: string): { id: string; deletedAt: string } | Array<{ id: string; deletedAt: string }> {
    if (pattern !== undefined) {
      const found = this.list(pattern);
      if (found.length === 0) throw new Error(`g-runs: no files match "${pattern}"`);
      return found.map((r) => this.remove(r));
    }
    return this.remove(this.find());
  }

  private remove(r: FileRecord): { id: string; deletedAt: string } {
    const runDir = this.host.openDir();
    changeRecords(runDir, (records) => records.filter((x) => x.id !== r.id));
    try {
      unlinkSync(this.localPath(r));
    } catch {
      /* already gone */
    }
    return { id: r.id, deletedAt: isoNow() };
  }

  /** Changes a file's description, tags or metadata (ml_dash: files({ fileId, ... }).update()). */
  update(): FileRecord {
    if (this.opts.fileId === undefined) throw new Error("g-runs: update() needs fileId, e.g. experiment.files({ fileId, tags }).update()");
    const target = this.find();
    let updated: FileRecord | undefined;
    changeRecords(this.host.openDir(), (records) =>
      records.map((r) => {
        if (r.id !== target.id) return r;
        updated = {
          ...r,
          ...(this.opts.description !== undefined ? { description: this.opts.description } : {}),
          ...(this.opts.tags !== undefined ? { tags: this.opts.tags.map(String) } : {}),
          ...(this.opts.metadata !== undefined ? { metadata: this.opts.metadata } : {}),
          updatedAt: isoNow(),
        };
        return updated;
      }),
    );
    return publicRecord(updated!);
  }
}

/** `experiment.files`: call it for a folder or file, or use the direct forms (`files.saveJson(x, { to: "a/b.json" })`). */
export interface Files {
  (dir?: string | (FileOptions & { dir?: string }), options?: FileOptions): FileBuilder;
  upload(fpath: string, options?: { to?: string } & FileOptions): FileRecord;
  download(path: string, options?: { to?: string }): string | string[];
  delete(path: string): ReturnType<FileBuilder["delete"]>;
  list(pattern?: string): FileRecord[];
  save(content: string | Uint8Array | object, options?: { to?: string } & FileOptions): FileRecord;
  saveText(content: string, options: { to: string }): FileRecord;
  saveJson(content: unknown, options: { to: string }): FileRecord;
  saveBlob(data: Uint8Array, options: { to: string }): FileRecord;
}

export function filesFor(host: FileHost): Files {
  const files = ((dir?: string | (FileOptions & { dir?: string }), options: FileOptions = {}) =>
    typeof dir === "object" && dir !== null ? new FileBuilder(host, dir.dir, dir) : new FileBuilder(host, dir, options)) as Files;
  const splitGlob = (path: string): { dir: string; pattern: string } => {
    const clean = cleanDir(path);
    const cut = clean.lastIndexOf("/");
    return { dir: cut < 0 ? "" : clean.slice(0, cut), pattern: clean.slice(cut + 1) };
  };
  files.upload = (fpath, options) => new FileBuilder(host).upload(fpath, options);
  files.download = (path, options = {}) => {
    if (!isGlob(path)) return new FileBuilder(host, path).download(undefined, options);
    const { dir, pattern } = splitGlob(path);
    return new FileBuilder(host, dir).download(pattern, options);
  };
  files.delete = (path) => {
    if (!isGlob(path)) return new FileBuilder(host, path).delete();
    const { dir, pattern } = splitGlob(path);
    return new FileBuilder(host, dir).delete(pattern);
  };
  files.list = (pattern) => new FileBuilder(host).list(pattern);
  files.save = (content, options) => new FileBuilder(host).save(content, options);
  files.saveText = (content, options) => new FileBuilder(host).saveText(content, options);
  files.saveJson = (content, options) => new FileBuilder(host).saveJson(content, options);
  files.saveBlob = (data, options) => new FileBuilder(host).saveBlob(data, options);
  return files;
}

/**
 * Moves the files an experiment saved into a g run (marked with its token)
 * into its child run. Called holding the g run's directory lock; the child run
 * is new and known only to this process.
 */
export function moveFiles(token: string, fromDir: string, toDir: string): void {
  const records = readRecords(fromDir);
  const mine = records.filter((r) => r.exp === token);
  if (mine.length === 0) return;
  for (const r of mine) {
    const rel = fullPath(r).split("/");
    const target = join(toDir, FILES_DIR, ...rel);
    mkdirSync(dirname(target), { recursive: true });
    try {
      renameSync(join(fromDir, FILES_DIR, ...rel), target);
    } catch {
      /* deleted meanwhile */
    }
  }
  writeJsonAtomic(join(fromDir, SDK_FILES_FILE), { files: records.filter((r) => r.exp !== token) });
  writeJsonAtomic(join(toDir, SDK_FILES_FILE), { files: mine.map(publicRecord) });
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([k, v]) => v !== undefined && k !== "to")) as Partial<T>;
}

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cli, ROOT, type SpawnResult } from '../helpers/spawn.js';
import { askAs, gateStore, serve, stopGates, talk, throwawayAccount } from '../helpers/gate.js';
import { reachableAccessctl } from '../helpers/reachable.js';

/**
 * `accessctl serve` (SPEC section 17) as it is used: started by the store's owner (root here), asked
 * through its socket by another account (a throwaway system user) with `access check --socket`
 * and with raw NDJSON. Real processes, a real socket, the real clock (grants expire while it runs).
 */
const root = process.getuid?.() === 0;
const ASKER = `acgate-${process.pid}`;
let asker: ReturnType<typeof throwawayAccount> & { group: string };
let dir: string;

beforeAll(() => {
  if (!root) return;
  asker = { ...throwawayAccount(ASKER), group: ASKER };
  dir = mkdtempSync(join(tmpdir(), 'accessctl-serve-'));
  chmodSync(dir, 0o755); // the asker reaches the socket through it; the store stays in a 0700 room
});
afterAll(() => {
  if (!root) return;
  asker.remove();
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
afterEach(() => stopGates());

const setup = () => gateStore(join(dir, `t${++n}`));
const ask = (socket: string, args: string[], stdin = '', env: Record<string, string> = {}): SpawnResult => askAs(asker, socket, args, stdin, env);

describe.skipIf(!root)('accessctl serve: a resident gate other accounts ask', () => {
  it('answers another account: allowed, denied, unknown; the same output and exit codes as a local check', async () => {
    const s = setup();
    const gate = await serve(s.db, ['--socket', s.socket, '--socket-group', asker.group]);
    const st = lstatSync(s.socket);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o660);
    expect(st.gid).toBe(asker.gid);

    // The asker cannot read the store at all: it asks.
    const local = cli(['--db', s.db, 'user', 'list'], { as: asker });
    expect(local.code).toBe(6);
    expect(local.stderr).toMatch(/permission denied/);

    for (const [who, code] of [['ada@example.com', 0], ['bob@example.com', 5], ['eve@example.com', 3]] as const) {
      const viaGate = ask(s.socket, ['--user', who, '-r', 'host-a', '-f', 'json']);
      const direct = cli(['--db', s.db, '-f', 'json', 'access', 'check', '--user', who, '-r', 'host-a']);
      expect(viaGate.code, viaGate.stderr).toBe(code);
      expect(direct.code).toBe(code);
      expect(viaGate.stdout).toBe(direct.stdout);
      expect(viaGate.stderr).toBe(direct.stderr);
    }
    expect(ask(s.socket, ['--user', 'usr_bad', '-r', 'host-a']).code).toBe(2);
    expect(ask(s.socket, ['--user', 'ada@example.com', '-r', 'host-a', '--port', '99999']).code).toBe(2);
    expect(ask(s.socket, ['--user', 'ada@example.com', '-r', 'host-a', '-q']).stdout.trim()).toMatch(/^res_/);

    // A token, from stdin only; it is never logged and never echoed.
    const byToken = ask(s.socket, ['--token-stdin', '-r', 'host-a'], `${s.token}\n`);
    expect(byToken.code, byToken.stderr).toBe(0);
    expect(ask(s.socket, ['--token-stdin', '-r', 'host-a'], 'ack_notARealToken000000000000000000000000000\n').code).toBe(5);
    const answers = await talk(s.socket, [JSON.stringify({ token: s.token, resource: 'host-a' }), JSON.stringify({ resource: s.token, user: 'ada@example.com' })]);
    expect(answers.map((a) => a.allowed)).toEqual([true, false]);
    expect(JSON.stringify(answers)).not.toContain(s.token);

    gate.child.kill('SIGTERM');
    expect(await gate.stopped).toBe(0);
    expect(gate.log()).not.toContain(s.token);
    expect(gate.log()).not.toContain('ada@example.com');
    expect(gate.log()).toMatch(/connection \d+: 1 answer\n/);
    expect(gate.log()).toMatch(/stopped \(SIGTERM\)/);
    expect(existsSync(s.socket)).toBe(false);
    // No gate: exit 6, one line (a gate script fails closed).
    const none = ask(s.socket, ['--user', 'ada@example.com', '-r', 'host-a']);
    expect(none.code).toBe(6);
    expect(none.stderr).toMatch(/^accessctl: no gate answers on .*gate\.sock \(no such socket\)/);
    expect(none.stderr.split('\n')).toHaveLength(2);
  }, 120_000);

  it('each request sees the store as it is: an expiry while it runs, a revocation, a replaced store, a store gone and back', async () => {
    const s = setup();
    s.op(['group', 'create', '-g', 'brief', '-u', 'bob@example.com', '-r', 'host-a', '--ttl', '3s']);
    const gate = await serve(s.db, ['--socket', s.socket, '--socket-group', asker.group]);
    expect(ask(s.socket, ['--user', 'bob@example.com', '-r', 'host-a']).code).toBe(0);
    // Expiry without a sweep: eventually denied (a generous cap, never a duration asserted).
    let code = 0;
    for (let i = 0; i < 60 && code === 0; i++) {
      code = ask(s.socket, ['--user', 'bob@example.com', '-r', 'host-a']).code;
      if (code === 0) await new Promise((r) => setTimeout(r, 250));
    }
    expect(code).toBe(5);
    // The operator removes ada from ops: the very next request is denied.
    expect(ask(s.socket, ['--user', 'ada@example.com', '-r', 'host-a']).code).toBe(0);
    s.op(['group', 'remove-users', '-g', 'ops', '-u', 'ada@example.com']);
    expect(ask(s.socket, ['--user', 'ada@example.com', '-r', 'host-a']).code).toBe(5);

    // Another store moved over it (a restore): answered from the new file at once.
    const other = join(s.sub, 'store', 'other.db');
    expect(cli(['--db', other, 'user', 'create', '-e', 'ada@example.com']).code).toBe(0);
    expect(cli(['--db', other, 'resource', 'create', '-n', 'host-a', '-a', 'x']).code).toBe(0);
    expect(cli(['--db', other, 'group', 'create', '-g', 'g', '-u', 'ada@example.com', '-r', 'host-a']).code).toBe(0);
    renameSync(other, s.db);
    expect(ask(s.socket, ['--user', 'ada@example.com', '-r', 'host-a']).code).toBe(0);
    expect(ask(s.socket, ['--user', 'bob@example.com', '-r', 'host-a']).code).toBe(3);

    // The store gone: exit 6 for the asker (fail closed); back: answers again, same gate.
    renameSync(s.db, `${s.db}.away`);
    const gone = ask(s.socket, ['--user', 'ada@example.com', '-r', 'host-a']);
    expect(gone.code).toBe(6);
    expect(gone.stderr).toMatch(/cannot read its store/);
    renameSync(`${s.db}.away`, s.db);
    expect(ask(s.socket, ['--user', 'ada@example.com', '-r', 'host-a']).code).toBe(0);
    gate.child.kill('SIGINT');
    expect(await gate.stopped).toBe(0);
    expect(gate.log()).toMatch(/replaced or removed/);
    expect(gate.log().match(/cannot read the store/g)).toHaveLength(1);
  }, 120_000);

  it('8 clients at once, 200 requests each, every answer in order', async () => {
    const s = setup();
    await serve(s.db, ['--socket', s.socket]);
    expect(lstatSync(s.socket).mode & 0o777).toBe(0o600); // no group given: the owner alone
    const lines = (c: number) => Array.from({ length: 200 }, (_, i) => JSON.stringify({ id: `${c}-${i}`, user: i % 2 ? 'ada@example.com' : 'bob@example.com', resource: 'host-a' }));
    const all = await Promise.all(Array.from({ length: 8 }, (_, c) => talk(s.socket, lines(c))));
    all.forEach((answers, c) => {
      expect(answers.map((a) => a.id)).toEqual(lines(c).map((l) => (JSON.parse(l) as { id: string }).id));
      expect(answers.map((a) => a.allowed)).toEqual(answers.map((_, i) => i % 2 === 1));
    });
  }, 120_000);

  it('its socket: never more than 0660, never where another account could replace it; stale replaced, live refused', async () => {
    const s = setup();
    const refuse = (args: string[], code: number, pattern: RegExp) => {
      const r = cli(['serve', ...args], { env: s.env });
      expect(r.code, r.stderr).toBe(code);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr.split('\n')).toHaveLength(2);
    };
    refuse(['--socket', s.socket, '--socket-mode', '0666'], 2, /at most 0660/);
    refuse(['--socket', s.socket, '--socket-mode', 'rw'], 2, /octal/);
    refuse(['--socket', s.socket, '--socket-mode', '0640'], 2, /read the socket but not connect to it/);
    refuse(['--socket', s.socket, '--socket-group', 'no-such-group-here'], 2, /no group "no-such-group-here"/);
    refuse([], 2, /needs --socket PATH/);
    const open = join(s.sub, 'open');
    mkdirSync(open, { mode: 0o777 });
    chmodSync(open, 0o1777);
    refuse(['--socket', join(open, 'gate.sock')], 6, /writable by every account/);
    writeFileSync(join(s.sub, 'run', 'file'), 'keep me');
    refuse(['--socket', join(s.sub, 'run', 'file')], 4, /exists and is not a socket/);
    expect(existsSync(join(s.sub, 'run', 'file'))).toBe(true);
    refuse(['--socket', join(s.sub, 'missing', 'gate.sock')], 2, /does not exist/);
    expect(existsSync(s.socket)).toBe(false); // nothing was left behind by a refusal

    // A server killed without cleanup leaves its socket: the next one replaces it.
    const first = await serve(s.db, ['--socket', s.socket]);
    first.child.kill('SIGKILL');
    await first.stopped;
    expect(lstatSync(s.socket).isSocket()).toBe(true);
    const second = await serve(s.db, ['--socket', s.socket]);
    expect((await talk(s.socket, [JSON.stringify({ user: 'ada@example.com', resource: 'host-a' })]))[0]!.allowed).toBe(true);
    // ... and while it lives, a third is refused and the second keeps answering.
    refuse(['--socket', s.socket], 4, /already listening/);
    expect((await talk(s.socket, [JSON.stringify({ user: 'ada@example.com', resource: 'host-a' })]))[0]!.allowed).toBe(true);

    // The asker without the socket's group: permission denied, exit 6, its account named.
    const denied = ask(s.socket, ['--user', 'ada@example.com', '-r', 'host-a']);
    expect(denied.code).toBe(6);
    expect(denied.stderr).toMatch(new RegExp(`permission denied \\(running as ${ASKER} \\(uid ${asker.uid}\\)\\)`));
    // A world-writable socket (not one serve makes) is not trusted by the asker.
    chmodSync(s.socket, 0o666);
    const loose = ask(s.socket, ['--user', 'ada@example.com', '-r', 'host-a']);
    expect(loose.code).toBe(6);
    expect(loose.stderr).toMatch(/open to every account \(mode 0666\)/);
    second.child.kill('SIGTERM');
    expect(await second.stopped).toBe(0);
  }, 120_000);

  it('systemd socket activation: listens on the socket it is given, leaves it in place', async () => {
    const s = setup();
    const activate = spawnSync('which', ['systemd-socket-activate'], { encoding: 'utf8' }).stdout.trim();
    if (activate === '') return; // systemd's helper is not on this machine
    const child = spawn(activate, ['-l', s.socket, '-E', `ACCESSCTL_DB=${s.db}`, process.execPath, BIN, 'serve'], { env: { PATH: process.env.PATH ?? '' }, cwd: ROOT });
    let log = '';
    child.stderr!.on('data', (d) => (log += d));
    const stopped = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    for (let i = 0; i < 100 && !existsSync(s.socket); i++) await new Promise((r) => setTimeout(r, 50));
    // systemd-socket-activate starts the server on the first connection.
    expect((await talk(s.socket, [JSON.stringify({ user: 'ada@example.com', resource: 'host-a' })]))[0]!.allowed).toBe(true);
    expect(log).toMatch(/listening on the socket systemd passed/);
    child.kill('SIGTERM');
    expect(await stopped).toBe(0);
    expect(lstatSync(s.socket).isSocket()).toBe(true); // systemd's, not ours to remove
  }, 60_000);
});

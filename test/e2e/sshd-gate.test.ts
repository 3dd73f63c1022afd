import { chownSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installRootFile, sshdSkipReason, sshFixture, type SshFixture } from '../helpers/sshd.js';

/**
 * A real sshd whose AuthorizedKeysCommand asks a gate: a user gets in while the gate says yes,
 * and is refused whenever it says anything else. Logins are polled (bounded), never timed.
 */
const skip = sshdSkipReason();
const title = (what: string) => (skip === null ? what : `${what} (skipped: ${skip})`);

describe.skipIf(skip !== null)(title('sshd with a stand-in gate: the key only while a command exits 0'), () => {
  let ssh: SshFixture;
  let flag: string;
  let calls: string;
  beforeAll(async () => {
    ssh = sshFixture();
    const keys = join(ssh.rootDir, 'keys');
    mkdirSync(keys, { mode: 0o755 });
    installRootFile(join(keys, ssh.loginUser), ssh.clientPublicKey);
    // The one place the gate account may write: a record of each time sshd ran the command.
    const runs = join(ssh.rootDir, 'runs');
    mkdirSync(runs, { mode: 0o700 });
    chownSync(runs, ssh.gateUid, ssh.gateGid);
    calls = join(runs, 'calls');
    flag = join(ssh.rootDir, `allow-${ssh.loginUser}`);
    const script = join(ssh.rootDir, 'stand-in-gate');
    installRootFile(
      script,
      [
        '#!/bin/sh',
        `echo "$1" >> '${calls}'`,
        `test -e '${ssh.rootDir}/allow-'"$1" || exit 1`,
        `exec cat '${keys}/'"$1"`,
        '',
      ].join('\n'),
      0o755,
    );
    await ssh.start(`${script} %u`);
  });
  afterAll(async () => {
    await ssh?.cleanup();
  });

  const ran = () => {
    try {
      return readFileSync(calls, 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  };

  it('refuses the key while the command fails, and sshd did run it, as the gate account', async () => {
    const denied = await ssh.login();
    expect(denied.code, denied.stderr).toBe(255);
    expect(denied.stderr).toMatch(/Permission denied \(publickey\)/);
    expect(ran().length).toBeGreaterThan(0);
    expect(new Set(ran())).toEqual(new Set([ssh.loginUser]));
    expect(statSync(calls).uid).toBe(ssh.gateUid);
  });

  it('lets the user in while the command succeeds, and out again once it fails', async () => {
    writeFileSync(flag, '');
    const allowed = await ssh.login();
    expect(allowed.code, `${allowed.stderr}\n${ssh.log()}`).toBe(0);
    expect(ssh.log()).toContain(`Accepted publickey for ${ssh.loginUser}`);
    rmSync(flag);
    const again = await ssh.login();
    expect(again.code, again.stderr).toBe(255);
  });
});

import type { TestProject } from 'vitest/node';
import { findPgBin, removeCluster, startCluster, type Cluster } from './pg-cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A superuser URL on a server the PostgreSQL leg may create databases on. */
    pgUrl: string;
    /** The throwaway cluster's data directory and binaries, when this run started one. */
    pgCluster: { dir: string; bin: string; port: number } | null;
  }
}

let cluster: Cluster | null = null;

/** One throwaway PostgreSQL server for the whole run (or ACCESSCTL_TEST_PG_URL's). */
export default async function setup(project: TestProject): Promise<() => void> {
  const given = process.env.ACCESSCTL_TEST_PG_URL;
  if (given) {
    project.provide('pgUrl', given);
    project.provide('pgCluster', null);
    return () => {};
  }
  const bin = findPgBin();
  if (!bin) throw new Error('PostgreSQL binaries not found under /usr/lib/postgresql');
  cluster = await startCluster(bin);
  project.provide('pgUrl', `${cluster.baseUrl}postgres`);
  project.provide('pgCluster', { dir: cluster.dir, bin: cluster.bin, port: cluster.port });
  return () => {
    if (cluster) removeCluster(cluster);
    cluster = null;
  };
}

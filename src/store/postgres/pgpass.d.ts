// pgpass ships no type declarations; what src/store/postgres/connection.ts uses of it.
declare module 'pgpass' {
  function pgpass(conn: object, cb: (pass: string | undefined) => void): void;
  namespace pgpass {
    function warnTo(stream: unknown): unknown;
  }
  export = pgpass;
}

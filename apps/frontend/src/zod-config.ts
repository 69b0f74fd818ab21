import { config } from "zod/v4/core";

// Before any schema exists (main.tsx imports this first): no `new Function` probe. zod would
// otherwise try it once to speed up object parsing; under `script-src 'self'` the caught
// attempt is still reported as a CSP violation (securitypolicyviolation, script-src eval).
config({ jitless: true });

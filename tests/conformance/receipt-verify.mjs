// Verifies a DataTrust consent receipt with npm `jose` (an implementation outside .NET) against the
// service's published JWK Set. Usage: node receipt-verify.mjs <jwks-json>, receipt (compact JWS) on stdin.
// Prints the protected header and payload; exits non-zero when the signature or header does not verify.
import { compactVerify, createLocalJWKSet } from 'jose';

const jwks = createLocalJWKSet(JSON.parse(process.argv[2]));
let jws = '';
for await (const chunk of process.stdin) jws += chunk;
const { payload, protectedHeader } = await compactVerify(jws.trim(), jwks, { algorithms: ['ES256', 'RS256'] });
if (protectedHeader.typ !== 'consent-receipt+jwt') {
  throw new Error(`unexpected typ ${protectedHeader.typ}`);
}
process.stdout.write(JSON.stringify({ header: protectedHeader, payload: JSON.parse(new TextDecoder().decode(payload)) }));

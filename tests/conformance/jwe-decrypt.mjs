// Decrypts a JWE compact serialisation with npm `jose` (an implementation outside .NET), to prove that
// DataTrust's ECDH-ES + A256GCM encryption of releases interoperates. Usage: node jwe-decrypt.mjs <private-jwk-json>, JWE on stdin.
import { compactDecrypt, importJWK } from 'jose';

const jwk = JSON.parse(process.argv[2]);
let jwe = '';
for await (const chunk of process.stdin) jwe += chunk;
const key = await importJWK(jwk, 'ECDH-ES');
const { plaintext, protectedHeader } = await compactDecrypt(jwe.trim(), key, { keyManagementAlgorithms: ['ECDH-ES'], contentEncryptionAlgorithms: ['A256GCM'] });
process.stdout.write(JSON.stringify({ header: protectedHeader, payload: JSON.parse(new TextDecoder().decode(plaintext)) }));

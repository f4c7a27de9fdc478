namespace DataTrust.Audit.Verification;

/// <summary>
/// An exported audit bundle: a ZIP file holding
/// <list type="bullet">
/// <item><c>manifest.json</c>: <c>{"format":"datatrust-audit-bundle","version":1,"origin":…,"exportedAt":…,"entries":n,"checkpoint":jws}</c></item>
/// <item><c>entries.jsonl</c>: entries 0 … n−1, one per line, each line exactly the bytes that were hashed (see <see cref="AuditEntryEncoding"/>)</item>
/// <item><c>checkpoints.jsonl</c>: every checkpoint of size ≤ n, one JWS compact serialisation per line</item>
/// <item><c>consistency.jsonl</c>: one RFC 9162 consistency proof per line between each checkpoint size and the next, <c>{"fromSize","toSize","proof":[hex…]}</c></item>
/// <item><c>keys.json</c>: every audit signing public key as a JWK Set</item>
/// </list>
/// The last checkpoint covers exactly the n entries, so everything verifies offline.
/// </summary>
internal static class AuditBundle
{
    public const string Format = "datatrust-audit-bundle";
    public const int Version = 1;
    public const string Manifest = "manifest.json";
    public const string Entries = "entries.jsonl";
    public const string Checkpoints = "checkpoints.jsonl";
    public const string Consistency = "consistency.jsonl";
    public const string Keys = "keys.json";
}

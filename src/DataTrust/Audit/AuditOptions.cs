namespace DataTrust.Audit;

/// <summary>Settings under the <c>Audit</c> configuration section.</summary>
public sealed class AuditOptions
{
    public const string Section = "Audit";

    /// <summary>The log's name, written into every checkpoint.</summary>
    public string Origin { get; set; } = "datatrust/audit";

    /// <summary>
    /// Base64 of at least 32 random bytes: the HMAC key that turns account ids into the pseudonyms the
    /// log stores. Required outside Development (generate with <c>openssl rand -base64 32</c>); keep it
    /// apart from the database, so a copy of the database alone cannot link entries to accounts. In
    /// Development a key is generated into the data directory.
    /// </summary>
    public string? PseudonymKey { get; set; }
}

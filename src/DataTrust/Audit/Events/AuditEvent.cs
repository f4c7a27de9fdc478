using System.Text.Json.Nodes;

namespace DataTrust.Audit.Events;

/// <summary>
/// One effect, described for the audit log. Each capability declares a sealed record per effect that
/// derives from this, names its <see cref="Action"/> from <see cref="AuditAction"/>, and fills in what
/// the effect concerned. Nothing here may carry plaintext personal data: a resident is named by
/// account id only, and the log stores a keyed pseudonym of it (see <see cref="AuditPseudonyms"/>).
/// </summary>
internal abstract record AuditEvent(AuditActor Actor)
{
    /// <summary>One of the <see cref="AuditAction"/> constants.</summary>
    public abstract string Action { get; }

    /// <summary>The resident the effect concerns, if any; written as a pseudonym.</summary>
    public virtual Guid? Subject => null;

    /// <summary>
    /// The resident's pseudonym, for the rare event that knows only that (a search by pseudonym);
    /// used when <see cref="Subject"/> is null.
    /// </summary>
    public virtual string? SubjectPseudonym => null;

    /// <summary>The data recipient (client_id) involved, if any.</summary>
    public virtual string? Recipient => null;

    /// <summary>The consent involved, if any.</summary>
    public virtual Guid? Consent => null;

    /// <summary>Further things the effect touched (records, keys, clients…), by type and id.</summary>
    public virtual IReadOnlyList<AuditObject> Objects => [];

    /// <summary>Facts about the effect that are not personal data: decisions, categories, counts, reasons.</summary>
    public virtual JsonObject Details() => new();

    // Records print every property by default; an event's subject must never reach a log line.
    public sealed override string ToString() => Action;
}

/// <summary>A thing an effect touched, e.g. <c>("record", id)</c> or <c>("signing-key", kid)</c>.</summary>
internal sealed record AuditObject(string Type, string Id);

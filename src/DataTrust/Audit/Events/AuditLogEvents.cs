using System.Text.Json.Nodes;

namespace DataTrust.Audit.Events;

// The audit log's own operations and the auditors' actions on it.

/// <summary>An auditor searched the log. A search for one resident's entries names that resident as the subject, so they can see it.</summary>
internal sealed record AuditLogSearched(AuditActor Actor, Guid? Resident, string? ResidentPseudonym, JsonObject Filters) : AuditEvent(Actor)
{
    public override string Action => AuditAction.AuditSearched;

    public override Guid? Subject => Resident;

    public override string? SubjectPseudonym => ResidentPseudonym;

    public override JsonObject Details() => new() { ["filters"] = Filters.DeepClone() };
}

internal sealed record AuditEntryViewed(AuditActor Actor, long Seq) : AuditEvent(Actor)
{
    public override string Action => AuditAction.AuditEntryViewed;

    public override IReadOnlyList<AuditObject> Objects => [new("audit-entry", Seq.ToString(System.Globalization.CultureInfo.InvariantCulture))];
}

internal sealed record AuditLogVerified(AuditActor Actor, bool Ok, long Entries, long? FirstBadIndex) : AuditEvent(Actor)
{
    public override string Action => AuditAction.AuditVerified;

    public override JsonObject Details() => new() { ["ok"] = Ok, ["entries"] = Entries, ["firstBadIndex"] = FirstBadIndex };
}

internal sealed record AuditConsistencyRequested(AuditActor Actor, long FromSize, long ToSize) : AuditEvent(Actor)
{
    public override string Action => AuditAction.AuditConsistencyRequested;

    public override JsonObject Details() => new() { ["fromSize"] = FromSize, ["toSize"] = ToSize };
}

internal sealed record AuditBundleExported(AuditActor Actor) : AuditEvent(Actor)
{
    public override string Action => AuditAction.AuditExported;
}

/// <summary>A person asked for a checkpoint. The recurring job's checkpoints are records in themselves and append nothing.</summary>
internal sealed record AuditCheckpointRequested(AuditActor Actor) : AuditEvent(Actor)
{
    public override string Action => AuditAction.AuditCheckpointSealed;
}

internal sealed record AuditSigningKeyCreated(AuditActor Actor, string KeyId) : AuditEvent(Actor)
{
    public override string Action => AuditAction.AuditSigningKeyCreated;

    public override IReadOnlyList<AuditObject> Objects => [new("signing-key", KeyId)];
}

internal sealed record AuditSigningKeyRotated(AuditActor Actor, string KeyId, IReadOnlyList<string> RetiredKeyIds) : AuditEvent(Actor)
{
    public override string Action => AuditAction.AuditSigningKeyRotated;

    public override IReadOnlyList<AuditObject> Objects =>
        [new("signing-key", KeyId), .. RetiredKeyIds.Select(id => new AuditObject("retired-signing-key", id))];
}

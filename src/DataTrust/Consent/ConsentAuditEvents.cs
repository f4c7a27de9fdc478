using System.Text.Json.Nodes;
using DataTrust.Audit.Events;

namespace DataTrust.Consent;

/// <summary>A recipient drafted, changed, submitted or withdrew a data request; <paramref name="Change"/> is <c>drafted</c>, <c>updated</c>, <c>submitted</c> or <c>withdrawn</c>.</summary>
internal sealed record DataRequestChanged(AuditActor Actor, string RecipientId, Guid DataRequestId, string Purpose, string Change) : AuditEvent(Actor)
{
    public override string Action => AuditAction.DataRequestChanged;

    public override string? Recipient => RecipientId;

    public override IReadOnlyList<AuditObject> Objects => [new("data-request", DataRequestId.ToString("D"))];

    public override JsonObject Details() => new() { ["purpose"] = Purpose, ["change"] = Change };
}

/// <summary>The recipient confirmed it deleted the data it received under a consent that ended.</summary>
internal sealed record ConsentDeletionConfirmed(AuditActor Actor, Guid Resident, Guid ConsentId, string RecipientId) : AuditEvent(Actor)
{
    public override string Action => AuditAction.ConsentDeletionConfirmed;

    public override Guid? Subject => Resident;

    public override string? Recipient => RecipientId;

    public override Guid? Consent => ConsentId;
}

/// <summary>A resident created, changed or deleted a standing instruction; <paramref name="Change"/> is <c>created</c>, <c>updated</c> or <c>deleted</c>.</summary>
internal sealed record StandingInstructionChanged(AuditActor Actor, Guid Resident, Guid RuleId, string Kind, string Change) : AuditEvent(Actor)
{
    public override string Action => AuditAction.StandingInstructionChanged;

    public override Guid? Subject => Resident;

    public override IReadOnlyList<AuditObject> Objects => [new("standing-instruction", RuleId.ToString("D"))];

    public override JsonObject Details() => new() { ["kind"] = Kind, ["change"] = Change };
}

using System.Globalization;
using System.Security.Claims;
using System.Text.Json.Nodes;
using DataTrust.Accounts;
using DataTrust.Audit.Events;
using DataTrust.Audit.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace DataTrust.Audit.Api;

/// <summary>The audit API under <c>/api/audit</c>: auditors only, except the published signing keys.</summary>
internal static class AuditEndpoints
{
    public static IEndpointRouteBuilder MapAuditEndpoints(this IEndpointRouteBuilder endpoints)
    {
        GetAuditKeys.Map(endpoints);
        RotateAuditSigningKey.Map(endpoints);

        var auditors = endpoints.MapGroup("/api/audit").WithTags("Audit").RequireAuthorization(AccessPolicies.Auditor);
        SearchAuditEntries.Map(auditors);
        GetAuditEntry.Map(auditors);
        VerifyAuditLog.Map(auditors);
        GetConsistencyProof.Map(auditors);
        GetLatestCheckpoint.Map(auditors);
        SealCheckpoint.Map(auditors);
        ExportAuditBundle.Map(auditors);
        return endpoints;
    }

    public static ProblemHttpResult BadRequest(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "The request is not valid");

    public static ProblemHttpResult NotFound(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status404NotFound, title: "Not found");

    /// <summary>The stored tree cannot serve a proof: the log was tampered with or damaged. Not the caller's mistake.</summary>
    public static ProblemHttpResult Damaged() =>
        TypedResults.Problem("The stored audit tree cannot produce this proof; run POST /api/audit/verify to locate the damage.",
            statusCode: StatusCodes.Status500InternalServerError, title: "The audit log is damaged");

    public static ProblemHttpResult NoAccountId() =>
        TypedResults.Problem("The session names no account.", statusCode: StatusCodes.Status403Forbidden, title: "Forbidden");

    public static AuditActor? Auditor(ClaimsPrincipal user) => AuditActor.FromUser(user, AuditActorType.Auditor);

    public static bool TryParseSize(string? text, out long value) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
}

/// <summary>An entry as the API shows it: the stored fields, with objects and details as JSON.</summary>
internal sealed record AuditEntryView(
    long Seq,
    string Time,
    string ActorType,
    string ActorId,
    string Action,
    string? Subject,
    string? Recipient,
    string? Consent,
    JsonNode? Objects,
    JsonNode? Details,
    string PrevHash,
    string LeafHash)
{
    public static AuditEntryView From(AuditEntry entry) => new(
        entry.Seq,
        AuditEntryEncoding.FormatTime(entry.RecordedAt),
        entry.ActorType,
        entry.ActorId,
        entry.Action,
        entry.Subject,
        entry.Recipient,
        entry.Consent,
        ParseOrText(entry.Objects),
        ParseOrText(entry.Details),
        Convert.ToHexStringLower(entry.PrevHash),
        Convert.ToHexStringLower(entry.LeafHash));

    // A tampered row may hold text that is not JSON; show it as text rather than fail.
    private static JsonNode? ParseOrText(string json)
    {
        try
        {
            return JsonNode.Parse(json);
        }
        catch (System.Text.Json.JsonException)
        {
            return JsonValue.Create(json);
        }
    }
}

internal sealed record CheckpointView(long TreeSize, string RootHash, string SealedAt, string KeyId, string Jws)
{
    public static CheckpointView From(AuditCheckpoint checkpoint) => new(
        checkpoint.TreeSize,
        Convert.ToHexStringLower(checkpoint.RootHash),
        AuditEntryEncoding.FormatTime(checkpoint.SealedAt),
        checkpoint.KeyId,
        checkpoint.Jws);
}

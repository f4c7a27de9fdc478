using System.Runtime.ExceptionServices;
using System.Text.Json;
using DataTrust.Audit.Events;
using DataTrust.Consent;
using DataTrust.Identity.Clients;
using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Brokering;

/// <summary>How the released data is written: plain JSON, NGSI-LD entities, or either encrypted to the recipient (JWE).</summary>
internal enum ReleaseFormat
{
    Json,
    NgsiLd,
    Jwe,
}

/// <summary>The outcome of a release: the body to send, or a refusal code, or a request problem.</summary>
internal sealed record ReleaseOutcome(byte[]? Body, Guid ReleaseId, string? Refusal, string? ProblemCode = null, string? Problem = null)
{
    /// <summary>The access token was found no longer live in the release's transaction: nothing decided, nothing audited.</summary>
    public static readonly ReleaseOutcome InvalidToken = new(null, Guid.Empty, null) { TokenNotLive = true };

    public bool TokenNotLive { get; private init; }

    public static ReleaseOutcome Refused(string code) => new(null, Guid.Empty, code);

    public static ReleaseOutcome Invalid(string code, string problem) => new(null, Guid.Empty, null, code, problem);
}

/// <summary>One record as released: its category, the date its data is about, and only the allowed fields.</summary>
internal sealed record ReleasedRecord(string Category, DateTimeOffset DataDate, IReadOnlyList<KeyValuePair<string, JsonElement>> Fields);

/// <summary>Everything a release's body is made of.</summary>
internal sealed record ReleaseContent(
    Guid ReleaseId, Guid ConsentId, string Subject, string Purpose, string PolicyVersion, DateTimeOffset ReleasedAt,
    DateTimeOffset? DataFrom, DateTimeOffset? DataTo, IReadOnlyList<ReleasedRecord> Records);

/// <summary>
/// A release to a recipient (promises 1, 3, 5, 7). <see cref="ReleaseGroupCommit"/> decides it on the locked live
/// ledger, builds the minimised content, counts the use and appends the <see cref="DataReleased"/> entry (or the
/// refusal) in one transaction; only after its commit is the body written (and encrypted to the recipient) and
/// handed back to be sent. A failed commit sends nothing.
/// </summary>
internal sealed class ReleaseBroker(DataTrustDbContext db, ReleaseGroupCommit releases)
{
    /// <param name="tokenId">The <c>jti</c> of the access token the request came with; its liveness is read again in the release's transaction.</param>
    public async Task<ReleaseOutcome> ReleaseAsync(
        Client client, string tokenId, Guid? grantId, ReleaseRequest request, ReleaseFormat format, CancellationToken cancellationToken)
    {
        var consentId = request.ConsentId;
        if (consentId is null && grantId is { } grant)
        {
            consentId = await db.Set<ConsentHead>().AsNoTracking().Where(c => c.GrantId == grant && c.ClientId == client.ClientId)
                .OrderByDescending(c => c.UpdatedAt).Select(c => (Guid?)c.Id).FirstOrDefaultAsync(cancellationToken);
        }

        if (consentId is null)
        {
            return request.ConsentId is null && grantId is null
                ? ReleaseOutcome.Invalid("consent_required", "Name the consent: \"consentId\" (or use a resident's access token whose grant is linked to a consent).")
                : ReleaseOutcome.Refused(ReleaseRefusal.NoConsent);
        }

        var encryptionKey = format == ReleaseFormat.Jwe ? RecipientEncryption.FindKey(client.Jwks) : null;
        if (format == ReleaseFormat.Jwe && encryptionKey is null)
        {
            return ReleaseOutcome.Invalid("no_encryption_key", "The client has no registered EC P-256 key with \"use\": \"enc\" to encrypt the release to.");
        }

        var answer = await releases.CommitAsync(new ReleaseAttempt(client, tokenId, consentId.Value, request), cancellationToken);
        if (answer.Failure is { } failure)
        {
            ExceptionDispatchInfo.Throw(failure);
        }

        if (ReferenceEquals(answer, ReleaseAnswer.TokenNotLive))
        {
            return ReleaseOutcome.InvalidToken;
        }

        if (answer.Content is not { } content)
        {
            return ReleaseOutcome.Refused(answer.Refusal!);
        }

        var body = ReleaseWriter.Write(content, format == ReleaseFormat.NgsiLd);
        return new ReleaseOutcome(encryptionKey is null ? body : RecipientEncryption.Encrypt(body, encryptionKey), content.ReleaseId, null);
    }
}

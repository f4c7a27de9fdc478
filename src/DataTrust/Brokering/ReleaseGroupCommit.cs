using DataTrust.Audit;
using DataTrust.Audit.Events;
using DataTrust.Consent;
using DataTrust.Identity.Clients;
using DataTrust.Identity.Token;
using DataTrust.Persistence;
using DataTrust.Vault;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DataTrust.Brokering;

/// <summary>A release to decide: which client asks, with which access token (its <c>jti</c>), under which consent, for what.</summary>
internal sealed record ReleaseAttempt(Client Client, string TokenId, Guid ConsentId, ReleaseRequest Request);

/// <summary>How the batch answered one release: the content to send once committed, a refusal code, or the error that kept it from being prepared.</summary>
internal sealed record ReleaseAnswer(ReleaseContent? Content, string? Refusal, Exception? Failure = null)
{
    /// <summary>The request's access token is no longer live: the release is not decided (nor audited), as if authentication had failed.</summary>
    public static readonly ReleaseAnswer TokenNotLive = new(null, null);
}

/// <summary>
/// The releases that arrive while one transaction is under way are decided together in the next one
/// (<see cref="GroupCommit{TItem, TResult}"/>), in one transaction. It reads which of their access tokens are still
/// live (the endpoint's authentication may have used a row read a moment earlier, see <see cref="RecentlyLiveTokens"/>;
/// a release whose token is not is answered as unauthenticated), locks their consents in id order and reads the
/// residents' records (still encrypted), then takes the releases in arrival order: each is decided on the live
/// ledger (<see cref="ReleasePolicy.Decide"/>), and only if allowed are its records decrypted and minimised and its
/// use counted. One <see cref="DataReleased"/> or <see cref="DataReleaseRefused"/> entry per decided release is
/// appended (<see cref="DataReleaseFailed"/> if its records would not decrypt), and every request learns its answer
/// only after the commit (promises 1–3). Because the content is built from terms read under the lock, nothing
/// prepared under older terms can be sent.
/// </summary>
internal sealed partial class ReleaseGroupCommit(
    IDbContextFactory<DataTrustDbContext> contexts, IAuditLog audit, ReleaseContents contents, TimeProvider clock, ILogger<ReleaseGroupCommit> logger)
    : GroupCommit<ReleaseAttempt, ReleaseAnswer>(contexts)
{
    protected override async Task<IReadOnlyList<ReleaseAnswer>> WriteAsync(DataTrustDbContext db, IReadOnlyList<ReleaseAttempt> batch, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var (liveTokens, consents, records) = db.IsSqlite
            ? await ReadAsync(db, batch, now, cancellationToken)
            : await ReadOnPostgresAsync(db, batch, now, cancellationToken);

        var answers = new List<ReleaseAnswer>(batch.Count);
        var entries = new List<AuditEvent>(batch.Count);
        foreach (var attempt in batch)
        {
            answers.Add(liveTokens.Contains(attempt.TokenId)
                ? await DecideAsync(attempt, consents, records, entries, now, cancellationToken)
                : ReleaseAnswer.TokenNotLive);
        }

        await consents.SaveCountsAsync(db, cancellationToken);
        await audit.AppendAsync(db, entries, cancellationToken);
        return answers;
    }

    /// <summary>What the batch is decided on: which tokens are live, the locked consents, and the residents' records (still encrypted) that may be released.</summary>
    private static async Task<(HashSet<string> LiveTokens, LockedConsents Consents, ILookup<Guid, RecordWithKey> Records)> ReadAsync(
        DataTrustDbContext db, IReadOnlyList<ReleaseAttempt> batch, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var liveTokens = await TokenLiveness.LiveIdsAsync(db, TokenIds(batch), now, cancellationToken);
        var authenticated = batch.Where(a => liveTokens.Contains(a.TokenId)).ToList();
        var consents = await LockedConsents.LockAsync(db, [.. authenticated.Select(a => a.ConsentId)], cancellationToken);

        // Records are read only for releases that can be allowed: the consent is the caller's and given.
        var candidates = authenticated.Where(a => consents.Head(a.ConsentId) is { State: ConsentState.Given } head && head.ClientId == a.Client.ClientId).ToList();
        var records = await VaultStore.ReadAsync(db,
            [.. candidates.Select(a => consents.Head(a.ConsentId)!.ResidentId).Distinct()], Categories(candidates), cancellationToken);
        return (liveTokens, consents, records);
    }

    /// <summary>
    /// The same in one round trip, as it runs for every batch: PostgreSQL runs the statements in order, so the records
    /// are read for the residents of the consents just locked (those still given). A consent whose token turns out not
    /// live is locked and its records read all the same, but nothing is decided or decrypted for it. The audit head is
    /// locked last, in the same round trip, so that the counts and the entries can go with the commit (<see cref="CommitTail"/>).
    /// </summary>
    private static async Task<(HashSet<string> LiveTokens, LockedConsents Consents, ILookup<Guid, RecordWithKey> Records)> ReadOnPostgresAsync(
        DataTrustDbContext db, IReadOnlyList<ReleaseAttempt> batch, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var consentIds = batch.Select(a => a.ConsentId).Distinct().ToArray();
        await using var reads = new NpgsqlBatch((NpgsqlConnection)db.Database.GetDbConnection(), (NpgsqlTransaction)db.Database.CurrentTransaction!.GetDbTransaction())
        {
            BatchCommands = { TokenLiveness.LiveIdsCommand(TokenIds(batch), now) },
        };
        foreach (var command in LockedConsents.LockCommands(consentIds))
        {
            reads.BatchCommands.Add(command);
        }

        reads.BatchCommands.Add(new NpgsqlBatchCommand($"""
            {VaultStore.RecordsWithKeysSelect}
            WHERE r.resident_id IN (SELECT resident_id FROM consents WHERE id = ANY($1) AND state = '{nameof(ConsentState.Given)}') AND r.category_id = ANY($2)
            ORDER BY r.created_at, r.id
            """)
        {
            Parameters = { new NpgsqlParameter { Value = consentIds }, new NpgsqlParameter { Value = Categories(batch) } },
        });
        reads.BatchCommands.Add(AuditLog.LockHeadCommand());
        await using var reader = await reads.ExecuteReaderAsync(cancellationToken);
        var liveTokens = await TokenLiveness.ReadLiveIdsAsync(reader, cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        var consents = await LockedConsents.ReadLockedAsync(reader, cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        var records = await VaultStore.ReadRecordsWithKeysAsync(reader, cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        await AuditLog.ReadLockedHeadAsync(db, reader, cancellationToken);
        return (liveTokens, consents, records.ToLookup(row => row.Record.ResidentId));
    }

    private static string[] TokenIds(IEnumerable<ReleaseAttempt> attempts) => [.. attempts.Select(a => a.TokenId).Distinct(StringComparer.Ordinal)];

    private static string[] Categories(IEnumerable<ReleaseAttempt> attempts) =>
        [.. attempts.SelectMany(a => a.Request.Categories.Select(c => c.Category)).Distinct(StringComparer.Ordinal)];

    private async Task<ReleaseAnswer> DecideAsync(
        ReleaseAttempt attempt, LockedConsents consents, ILookup<Guid, RecordWithKey> records, List<AuditEvent> entries, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var client = attempt.Client;
        if (consents.Head(attempt.ConsentId) is not { } head || consents.Snapshot(attempt.ConsentId) is not { } live)
        {
            // A random id names no resident: there is nobody to record the refusal against (see Brokering/README.md).
            LogUnknownConsent(logger, client.ClientId);
            return new ReleaseAnswer(null, ReleaseRefusal.NoConsent);
        }

        var ask = Ask(client.ClientId, attempt.Request, live);
        var actor = AuditActor.Client(client.ClientId);
        var decision = ReleasePolicy.Decide(live, ask, now);
        if (!decision.Allowed)
        {
            entries.Add(new DataReleaseRefused(actor, head.ResidentId, client.ClientId, ask.PurposeId, decision.Refusal!));
            return new ReleaseAnswer(null, decision.Refusal);
        }

        try
        {
            var (content, releasedFields) = await contents.BuildAsync(client, head.Id, head.ResidentId, ask, records[head.ResidentId], now, cancellationToken);
            consents.CountRelease(live, now);
            entries.Add(new DataReleased(actor, head.ResidentId, head.Id, client.ClientId, ask.PurposeId, content.ReleaseId, [.. ask.Data.Select(a => a.Category)], releasedFields));
            return new ReleaseAnswer(content, null);
        }
        catch (VaultDecryptionException e)
        {
            // Fails this release alone (the reason is in the vault's log): nothing counted, nothing sent, the failure audited.
            entries.Add(new DataReleaseFailed(actor, head.ResidentId, head.Id, client.ClientId, ask.PurposeId));
            return new ReleaseAnswer(null, null, e);
        }
    }

    /// <summary>The ask in full: the consent's own terms fill in what the recipient left out (its purpose, all its fields, its whole period).</summary>
    private static ReleaseAsk Ask(string clientId, ReleaseRequest request, ConsentSnapshot live) => new(
        clientId,
        request.Purpose ?? live.PurposeId,
        [.. request.Categories.Select(a => new RequestedCategory(a.Category, a.Fields ?? live.Categories.FirstOrDefault(c => c.Category == a.Category)?.Fields ?? []))],
        request.DataFrom ?? live.DataFrom,
        request.DataTo ?? live.DataTo);

    [LoggerMessage(EventId = 8101, Level = LogLevel.Information, Message = "Client {ClientId} asked for a release under a consent id that does not exist")]
    private static partial void LogUnknownConsent(ILogger logger, string clientId);
}

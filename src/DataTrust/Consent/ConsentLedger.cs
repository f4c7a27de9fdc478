using System.Text.Json;
using DataTrust.Accounts;
using DataTrust.Accounts.Mail;
using DataTrust.Audit;
using DataTrust.Audit.Events;
using DataTrust.Identity.Clients;
using DataTrust.Identity.Subjects;
using DataTrust.Identity.Token;
using DataTrust.Persistence;
using DataTrust.Policies;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace DataTrust.Consent;

/// <summary>How a resident narrows a request when granting it: fewer categories, a shorter duration.</summary>
public sealed record ConsentNarrowing(IReadOnlyList<string>? Categories, string? Duration);

public sealed record ConsentEventView(int Version, string Kind, string ActorType, string? DecidedBy, DateTimeOffset OccurredAt);

/// <summary>A consent as its resident sees it, with its history.</summary>
public sealed record ConsentView(
    Guid Id,
    string ClientId,
    Guid DataRequestId,
    string PurposeId,
    string State,
    int Version,
    IReadOnlyList<RequestedCategory> Categories,
    string Duration,
    DateTimeOffset? StartsAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? DataFrom,
    DateTimeOffset? DataTo,
    string AccessMode,
    int? MaxReleasesPerPeriod,
    string? FrequencyPeriod,
    int ReleaseCount,
    Guid? ReceiptId,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    IReadOnlyList<ConsentEventView> Events);

/// <summary>
/// A consent as its recipient sees it: no resident id. For an id the recipient does not know, or a
/// request still unanswered, only <c>requested</c> is shown, so polling reveals no resident.
/// </summary>
public sealed record RecipientConsentView(
    Guid Id,
    string State,
    Guid? DataRequestId,
    int? Version,
    IReadOnlyList<RequestedCategory>? Categories,
    DateTimeOffset? ExpiresAt,
    bool? MustDelete,
    DateTimeOffset? DeletionConfirmedAt);

/// <summary>A receipt as stored: the compact JWS and what it is for.</summary>
public sealed record ReceiptView(Guid ReceiptId, Guid ConsentId, int Version, string Jws, DateTimeOffset IssuedAt);

/// <summary>
/// The consent ledger: every change of a consent is one transaction that locks the consent's head row,
/// adds an immutable <see cref="ConsentVersion"/> and an append-only <see cref="ConsentEvent"/>, issues a
/// signed receipt, revokes the linked OAuth grant when the consent stops, queues the recipient's signed
/// webhook, and writes its <see cref="ConsentChanged"/> audit entry. A refused change throws
/// <see cref="ConsentException"/> before anything is written.
/// </summary>
internal sealed partial class ConsentLedger(
    DataTrustDbContext db,
    DataUsePolicy policy,
    IAuditLog audit,
    ConsentReceipts receipts,
    ConsentWebhooks webhooks,
    PairwiseSubjects pairwise,
    IMailSender mail,
    TimeProvider clock,
    ILogger<ConsentLedger> logger)
{
    private static readonly ConsentState[] Live = [ConsentState.Requested, ConsentState.Given, ConsentState.Paused];

    // ---- residents -------------------------------------------------------------------------------

    /// <summary>Grants a published request directly (or the resident's pending inbox request for it), optionally narrowed.</summary>
    public async Task<ConsentView> GrantAsync(Guid residentId, Guid dataRequestId, ConsentNarrowing? narrowing, Guid? grantId, CancellationToken cancellationToken)
    {
        var pending = await LiveConsentAsync(residentId, dataRequestId, cancellationToken);
        if (pending is { State: ConsentState.Requested })
        {
            return await GrantRequestedAsync(residentId, pending.Id, narrowing, cancellationToken);
        }

        if (pending is not null)
        {
            throw ConsentException.Conflict("consent_exists", $"You already have a {StateName(pending.State)} consent {pending.Id} for this request.");
        }

        var request = await PublishedRequestAsync(dataRequestId, cancellationToken);
        var version = Terms(request, ConsentState.Given, narrowing, maxDuration: null);
        return await CreateAsync(residentId, request, version, grantId, AuditActor.Resident(residentId), null, "resident-portal", cancellationToken);
    }

    /// <summary>Refuses a published request the resident was shown (recorded as a refused consent).</summary>
    public async Task<ConsentView> DenyAsync(Guid residentId, Guid dataRequestId, CancellationToken cancellationToken)
    {
        var pending = await LiveConsentAsync(residentId, dataRequestId, cancellationToken);
        if (pending is { State: ConsentState.Requested })
        {
            return await RefuseAsync(residentId, pending.Id, cancellationToken);
        }

        if (pending is not null)
        {
            throw ConsentException.Conflict("consent_exists", $"You have a {StateName(pending.State)} consent {pending.Id} for this request: revoke it instead.");
        }

        var request = await PublishedRequestAsync(dataRequestId, cancellationToken);
        return await CreateAsync(residentId, request, Terms(request, ConsentState.Refused, null, null), null, AuditActor.Resident(residentId), null, "resident-portal", cancellationToken);
    }

    /// <summary>Approves a request waiting in the resident's inbox, optionally narrowed.</summary>
    public async Task<ConsentView> GrantRequestedAsync(Guid residentId, Guid consentId, ConsentNarrowing? narrowing, CancellationToken cancellationToken)
    {
        var head = await OwnAsync(residentId, consentId, cancellationToken);
        var request = await PublishedRequestAsync(head.DataRequestId, cancellationToken);
        var terms = Terms(request, ConsentState.Given, narrowing, maxDuration: null);
        await ChangeAsync(consentId, [ConsentState.Requested], ConsentState.Given, "granted", ConsentChange.Granted, AuditActor.Resident(residentId), null, "inbox", terms, cancellationToken);
        return await GetAsync(residentId, consentId, cancellationToken);
    }

    /// <summary>Refuses a request waiting in the resident's inbox.</summary>
    public async Task<ConsentView> RefuseAsync(Guid residentId, Guid consentId, CancellationToken cancellationToken)
    {
        await OwnAsync(residentId, consentId, cancellationToken);
        await ChangeAsync(consentId, [ConsentState.Requested], ConsentState.Refused, "refused", ConsentChange.Refused, AuditActor.Resident(residentId), null, "inbox", null, cancellationToken);
        return await GetAsync(residentId, consentId, cancellationToken);
    }

    public async Task<ConsentView> PauseAsync(Guid residentId, Guid consentId, CancellationToken cancellationToken)
    {
        await OwnAsync(residentId, consentId, cancellationToken);
        await ChangeAsync(consentId, [ConsentState.Given], ConsentState.Paused, "paused", ConsentChange.Paused, AuditActor.Resident(residentId), null, "resident-portal", null, cancellationToken);
        return await GetAsync(residentId, consentId, cancellationToken);
    }

    public async Task<ConsentView> ResumeAsync(Guid residentId, Guid consentId, CancellationToken cancellationToken)
    {
        await OwnAsync(residentId, consentId, cancellationToken);
        await ChangeAsync(consentId, [ConsentState.Paused], ConsentState.Given, "resumed", ConsentChange.Resumed, AuditActor.Resident(residentId), null, "resident-portal", null, cancellationToken);
        return await GetAsync(residentId, consentId, cancellationToken);
    }

    /// <summary>Withdraws a given or paused consent. When this returns, no release under it can commit (promise 2).</summary>
    public async Task<ConsentView> RevokeAsync(Guid residentId, Guid consentId, CancellationToken cancellationToken)
    {
        await OwnAsync(residentId, consentId, cancellationToken);
        await ChangeAsync(consentId, [ConsentState.Given, ConsentState.Paused], ConsentState.Withdrawn, "withdrawn", ConsentChange.Revoked, AuditActor.Resident(residentId), null, "resident-portal", null, cancellationToken);
        return await GetAsync(residentId, consentId, cancellationToken);
    }

    public async Task<IReadOnlyList<ConsentView>> ListAsync(Guid residentId, string? state, CancellationToken cancellationToken)
    {
        var query = db.Set<ConsentHead>().AsNoTracking().Where(c => c.ResidentId == residentId);
        if (state is not null)
        {
            var wanted = ParseState(state);
            query = query.Where(c => c.State == wanted);
        }

        var ids = await query.OrderByDescending(c => c.UpdatedAt).Select(c => c.Id).ToListAsync(cancellationToken);
        var views = new List<ConsentView>();
        foreach (var id in ids)
        {
            views.Add(await GetAsync(residentId, id, cancellationToken));
        }

        return views;
    }

    /// <summary>Requests from recipients waiting for the resident's answer.</summary>
    public Task<IReadOnlyList<ConsentView>> InboxAsync(Guid residentId, CancellationToken cancellationToken) => ListAsync(residentId, "requested", cancellationToken);

    public async Task<ConsentView> GetAsync(Guid residentId, Guid consentId, CancellationToken cancellationToken)
    {
        var head = await OwnAsync(residentId, consentId, cancellationToken);
        var version = await db.Set<ConsentVersion>().AsNoTracking().SingleAsync(v => v.ConsentId == consentId && v.Version == head.Version, cancellationToken);
        var events = await db.Set<ConsentEvent>().AsNoTracking().Where(e => e.ConsentId == consentId).OrderBy(e => e.Id).ToListAsync(cancellationToken);
        return new ConsentView(
            head.Id, head.ClientId, head.DataRequestId, version.PurposeId, StateName(head.State), head.Version, DataRequests.Categories(version.Categories), version.Duration,
            version.StartsAt, version.ExpiresAt, version.DataFrom, version.DataTo, DataRequests.AccessModeName(version.AccessMode), version.MaxReleasesPerPeriod,
            version.FrequencyPeriod, head.ReleaseCount, version.ReceiptId, head.CreatedAt, head.UpdatedAt,
            [.. events.Select(e => new ConsentEventView(e.Version, e.Kind, e.ActorType, e.DecidedBy, e.OccurredAt))]);
    }

    /// <summary>The receipts of the resident's consent, newest first.</summary>
    public async Task<IReadOnlyList<ReceiptView>> ReceiptsAsync(Guid residentId, Guid consentId, CancellationToken cancellationToken)
    {
        await OwnAsync(residentId, consentId, cancellationToken);
        return await ReceiptsOfAsync(consentId, cancellationToken);
    }

    // ---- recipients ------------------------------------------------------------------------------

    /// <summary>
    /// A recipient asks a resident, known to it by its pairwise <c>sub</c>, to consent to one of its
    /// published requests (no redirect: the request waits in the resident's inbox, unless a standing
    /// instruction decides it). An unknown handle gets the same answer as a known one.
    /// </summary>
    public async Task<RecipientConsentView> RequestAsync(string clientId, Guid dataRequestId, string? handle, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(handle) || handle.Length > 100)
        {
            throw ConsentException.Invalid("handle_invalid", "subject is the resident's pairwise subject identifier at your service.");
        }

        var request = await db.Set<DataRequest>().AsNoTracking().SingleOrDefaultAsync(r => r.Id == dataRequestId && r.ClientId == clientId, cancellationToken)
            ?? throw ConsentException.NotFound("data request", $"No data request {dataRequestId} of yours.");
        if (request.State != DataRequestState.Approved)
        {
            throw ConsentException.Conflict("request_not_published", $"Data request {dataRequestId} is {DataRequests.StateName(request.State)}; only a published request can be sent.");
        }

        var recipient = await db.Set<Recipient>().AsNoTracking().SingleAsync(r => r.ClientId == clientId, cancellationToken);
        if (recipient.Status != RecipientStatus.Approved)
        {
            throw ConsentException.Forbidden("recipient_not_approved", $"Recipient '{clientId}' is {RecipientAdministration.Name(recipient.Status)}.");
        }

        var residentId = await ResolveHandleAsync(clientId, handle.Trim(), cancellationToken);
        var existing = residentId is { } known ? (await LiveConsentAsync(known, dataRequestId, cancellationToken))?.Id : null;
        if (residentId is null || existing is not null)
        {
            // Same answer whether the resident is unknown or has already been asked.
            return Unanswered(existing ?? Guid.CreateVersion7());
        }

        ConsentView view;
        try
        {
            view = await CreateAsync(residentId.Value, request, Terms(request, ConsentState.Requested, null, null), null, AuditActor.Client(clientId), null, "inbox-request", cancellationToken);
        }
        catch (ConsentException e) when (e.Code == "consent_exists")
        {
            // The same request was sent at the same moment: answer as the repeat it is.
            return Unanswered((await LiveConsentAsync(residentId.Value, dataRequestId, cancellationToken))!.Id);
        }

        await ApplyStandingInstructionsAsync(residentId.Value, view.Id, request, cancellationToken);
        return Unanswered(view.Id);
    }

    /// <summary>The recipient polls one of its consents (or consent requests).</summary>
    public async Task<RecipientConsentView> StatusForRecipientAsync(string clientId, Guid consentId, CancellationToken cancellationToken)
    {
        var head = await db.Set<ConsentHead>().AsNoTracking().SingleOrDefaultAsync(c => c.Id == consentId && c.ClientId == clientId, cancellationToken);
        if (head is null || head.State == ConsentState.Requested)
        {
            return Unanswered(consentId);
        }

        var version = await db.Set<ConsentVersion>().AsNoTracking().SingleAsync(v => v.ConsentId == consentId && v.Version == head.Version, cancellationToken);
        var confirmed = await db.Set<ConsentEvent>().AsNoTracking().Where(e => e.ConsentId == consentId && e.Kind == "deletion_confirmed")
            .Select(e => (DateTimeOffset?)e.OccurredAt).FirstOrDefaultAsync(cancellationToken);
        return new RecipientConsentView(head.Id, StateName(head.State), head.DataRequestId, head.Version,
            head.State == ConsentState.Refused ? null : DataRequests.Categories(version.Categories), version.ExpiresAt, MustDelete(head.State), confirmed);
    }

    /// <summary>The consents the recipient holds (answered ones only), newest first.</summary>
    public async Task<IReadOnlyList<RecipientConsentView>> ListForRecipientAsync(string clientId, CancellationToken cancellationToken)
    {
        var ids = await db.Set<ConsentHead>().AsNoTracking().Where(c => c.ClientId == clientId && c.State != ConsentState.Requested)
            .OrderByDescending(c => c.UpdatedAt).Select(c => c.Id).Take(1000).ToListAsync(cancellationToken);
        var views = new List<RecipientConsentView>();
        foreach (var id in ids)
        {
            views.Add(await StatusForRecipientAsync(clientId, id, cancellationToken));
        }

        return views;
    }

    public async Task<IReadOnlyList<ReceiptView>> ReceiptsForRecipientAsync(string clientId, Guid consentId, CancellationToken cancellationToken)
    {
        if (!await db.Set<ConsentHead>().AnyAsync(c => c.Id == consentId && c.ClientId == clientId && c.State != ConsentState.Requested, cancellationToken))
        {
            throw ConsentException.NotFound("consent", $"No answered consent {consentId} of yours.");
        }

        return await ReceiptsOfAsync(consentId, cancellationToken);
    }

    /// <summary>The recipient confirms it deleted what it received under a consent that ended.</summary>
    public async Task<RecipientConsentView> ConfirmDeletionAsync(string clientId, Guid consentId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            var head = await LockAsync(db, consentId, cancellationToken);
            if (head is null || head.ClientId != clientId || head.State == ConsentState.Requested)
            {
                throw ConsentException.NotFound("consent", $"No answered consent {consentId} of yours.");
            }

            if (MustDelete(head.State) != true)
            {
                throw ConsentException.Conflict("deletion_not_due", $"Consent {consentId} is {StateName(head.State)}: there is nothing to delete under it.");
            }

            if (await db.Set<ConsentEvent>().AnyAsync(e => e.ConsentId == consentId && e.Kind == "deletion_confirmed", cancellationToken))
            {
                throw ConsentException.Conflict("deletion_already_confirmed", $"Deletion under consent {consentId} was already confirmed.");
            }

            db.Add(new ConsentEvent { ConsentId = consentId, Version = head.Version, Kind = "deletion_confirmed", ActorType = "client", OccurredAt = now });
            await db.SaveChangesAsync(cancellationToken);
            await audit.AppendAsync(db, new ConsentDeletionConfirmed(AuditActor.Client(clientId), head.ResidentId, consentId, clientId), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        return await StatusForRecipientAsync(clientId, consentId, cancellationToken);
    }

    /// <summary>
    /// The recipient revokes the OAuth grant a consent was given through (FAPI Grant Management): the
    /// consent is withdrawn like a resident's revoke, recorded with the client as actor. False when no
    /// given or paused consent is linked to the grant.
    /// </summary>
    public async Task<bool> WithdrawByGrantAsync(string clientId, Guid grantId, CancellationToken cancellationToken)
    {
        var consentId = await db.Set<ConsentHead>().AsNoTracking()
            .Where(c => c.GrantId == grantId && c.ClientId == clientId && (c.State == ConsentState.Given || c.State == ConsentState.Paused))
            .Select(c => (Guid?)c.Id).FirstOrDefaultAsync(cancellationToken);
        if (consentId is null)
        {
            return false;
        }

        await ChangeAsync(consentId.Value, [ConsentState.Given, ConsentState.Paused], ConsentState.Withdrawn, "withdrawn", ConsentChange.Revoked, AuditActor.Client(clientId), null, "grant-management", null, cancellationToken);
        return true;
    }

    // ---- system ----------------------------------------------------------------------------------

    /// <summary>Moves given or paused consents past their end to <c>expired</c>; returns how many. Idempotent.</summary>
    public async Task<int> ExpireDueAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var due = await db.Set<ConsentHead>().AsNoTracking()
            .Where(c => (c.State == ConsentState.Given || c.State == ConsentState.Paused) && c.ExpiresAt != null && c.ExpiresAt <= now)
            .OrderBy(c => c.ExpiresAt).Select(c => c.Id).Take(500).ToListAsync(cancellationToken);
        var expired = 0;
        foreach (var id in due)
        {
            try
            {
                await ChangeAsync(id, [ConsentState.Given, ConsentState.Paused], ConsentState.Expired, "expired", ConsentChange.Expired, AuditActor.System("jobs/consent-expiry"), null, "expiry", null, cancellationToken);
                expired++;
            }
            catch (ConsentException)
            {
                // changed meanwhile (revoked, or already expired by another worker): nothing to do
                db.ChangeTracker.Clear();
            }
        }

        return expired;
    }

    /// <summary>
    /// One release decision inside the caller's transaction: locks the consent (see <see cref="LockedConsents"/>),
    /// decides with <see cref="ReleasePolicy.Decide"/> on its live state, and on success counts the use. The
    /// caller commits with its release and audit entry; a revoke cannot commit in between (promise 2).
    /// </summary>
    public static async Task<ReleaseDecision> AuthorizeReleaseAsync(DataTrustDbContext db, Guid consentId, ReleaseAsk ask, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var consents = await LockedConsents.LockAsync(db, [consentId], cancellationToken);
        var live = consents.Snapshot(consentId);
        var decision = ReleasePolicy.Decide(live, ask, now);
        if (decision.Allowed)
        {
            consents.CountRelease(live!, now);
            await consents.SaveCountsAsync(db, cancellationToken);
        }

        return decision;
    }

    /// <summary>Links a consent to the OAuth grant it was given through (used by the OAuth consent page).</summary>
    public async Task LinkGrantAsync(Guid residentId, Guid consentId, Guid grantId, CancellationToken cancellationToken)
    {
        await OwnAsync(residentId, consentId, cancellationToken);
        await db.Set<ConsentHead>().Where(c => c.Id == consentId).ExecuteUpdateAsync(s => s.SetProperty(c => c.GrantId, grantId), cancellationToken);
    }

    /// <summary>The resident's live (requested, given or paused) consent for the request, if any: there is at most one (M0013).</summary>
    private Task<LiveConsent?> LiveConsentAsync(Guid residentId, Guid dataRequestId, CancellationToken cancellationToken) =>
        db.Set<ConsentHead>().AsNoTracking()
            .Where(c => c.ResidentId == residentId && c.DataRequestId == dataRequestId && Live.Contains(c.State))
            .Select(c => new LiveConsent(c.Id, c.State)).SingleOrDefaultAsync(cancellationToken);

    private sealed record LiveConsent(Guid Id, ConsentState State);

    internal static string StateName(ConsentState state) => state.ToString().ToLowerInvariant();

    /// <summary>Locks and returns (tracked) the consent's head row for the rest of the transaction.</summary>
    internal static async Task<ConsentHead?> LockAsync(DataTrustDbContext db, Guid consentId, CancellationToken cancellationToken) =>
        (await LockAllAsync(db, [consentId], cancellationToken)).GetValueOrDefault(consentId);

    /// <summary>
    /// Locks and returns (tracked) the head rows of those consents that exist, for the rest of the transaction.
    /// Always in id order: whoever holds several consent locks took them in the same order.
    /// </summary>
    internal static async Task<Dictionary<Guid, ConsentHead>> LockAllAsync(DataTrustDbContext db, IReadOnlyCollection<Guid> consentIds, CancellationToken cancellationToken)
    {
        var ids = consentIds.Distinct().Order().ToArray();
        if (ids.Length == 0)
        {
            return [];
        }

        if (db.IsSqlite)
        {
            // SQLite has one writer: writing the rows takes the database's write lock until commit.
            await db.Set<ConsentHead>().Where(c => ids.Contains(c.Id)).ExecuteUpdateAsync(s => s.SetProperty(c => c.Version, c => c.Version), cancellationToken);
            return await db.Set<ConsentHead>().Where(c => ids.Contains(c.Id)).ToDictionaryAsync(c => c.Id, cancellationToken);
        }

        return await db.Set<ConsentHead>().FromSqlInterpolated($"SELECT * FROM consents WHERE id = ANY({ids}) ORDER BY id FOR UPDATE")
            .ToDictionaryAsync(c => c.Id, cancellationToken);
    }

    // ---- internals -------------------------------------------------------------------------------

    private static bool? MustDelete(ConsentState state) => state is ConsentState.Withdrawn or ConsentState.Expired;

    private static RecipientConsentView Unanswered(Guid id) => new(id, StateName(ConsentState.Requested), null, null, null, null, null, null);

    private static ConsentState ParseState(string state) =>
        Enum.TryParse<ConsentState>(state, ignoreCase: true, out var parsed) && !state.Any(char.IsAsciiDigit)
            ? parsed
            : throw ConsentException.Invalid("state_invalid", "state is one of requested, given, refused, paused, withdrawn, expired.");

    private async Task<IReadOnlyList<ReceiptView>> ReceiptsOfAsync(Guid consentId, CancellationToken cancellationToken) =>
        [.. (await db.Set<ConsentReceipt>().AsNoTracking().Where(r => r.ConsentId == consentId).OrderByDescending(r => r.Version).ToListAsync(cancellationToken))
            .Select(r => new ReceiptView(r.Id, r.ConsentId, r.Version, r.Jws, r.IssuedAt))];

    private async Task<ConsentHead> OwnAsync(Guid residentId, Guid consentId, CancellationToken cancellationToken) =>
        await db.Set<ConsentHead>().AsNoTracking().SingleOrDefaultAsync(c => c.Id == consentId && c.ResidentId == residentId, cancellationToken)
            ?? throw ConsentException.NotFound("consent", $"You have no consent {consentId}.");

    private async Task<DataRequest> PublishedRequestAsync(Guid dataRequestId, CancellationToken cancellationToken)
    {
        var request = await db.Set<DataRequest>().AsNoTracking().SingleOrDefaultAsync(r => r.Id == dataRequestId, cancellationToken);
        if (request is null || request.State != DataRequestState.Approved)
        {
            throw ConsentException.NotFound("data request", $"No published data request {dataRequestId}.");
        }

        var status = await db.Set<Recipient>().AsNoTracking().Where(r => r.ClientId == request.ClientId).Select(r => r.Status).SingleAsync(cancellationToken);
        if (status != RecipientStatus.Approved)
        {
            throw ConsentException.Conflict("recipient_not_approved", $"The recipient of data request {dataRequestId} is {RecipientAdministration.Name(status)}: consents to it cannot be given now.");
        }

        return request;
    }

    /// <summary>The terms a new version gets from the request, narrowed by the resident or a rule; throws when narrowing goes beyond the request.</summary>
    private ConsentVersion Terms(DataRequest request, ConsentState state, ConsentNarrowing? narrowing, IsoDuration? maxDuration)
    {
        var categories = DataRequests.Categories(request.Categories).ToList();
        if (narrowing?.Categories is { } chosen)
        {
            var beyond = chosen.Where(c => !categories.Any(r => r.Category == c)).ToList();
            if (beyond.Count > 0)
            {
                throw ConsentException.Invalid("narrowing_beyond_request", $"The request does not ask for {string.Join(", ", beyond)}: a consent can only cover less than the request.");
            }

            categories = [.. categories.Where(r => chosen.Contains(r.Category, StringComparer.Ordinal))];
            if (categories.Count == 0)
            {
                throw ConsentException.Invalid("narrowing_empty", "Choose at least one category, or refuse the request.");
            }
        }

        var duration = IsoDuration.TryParse(request.Duration, out var requested) ? requested : throw new InvalidOperationException("A stored request has a valid duration.");
        if (narrowing?.Duration is { } shorter)
        {
            if (!IsoDuration.TryParse(shorter, out var parsed))
            {
                throw ConsentException.Invalid("duration_invalid", "duration is an ISO 8601 duration in years, months and days, e.g. P3M.");
            }

            if (!DataRequests.AtMost(parsed, duration))
            {
                throw ConsentException.Invalid("narrowing_beyond_request", $"The request asks for {duration} at most; a consent cannot last longer ({parsed}).");
            }

            duration = parsed;
        }

        if (maxDuration is { } cap && !DataRequests.AtMost(duration, cap))
        {
            duration = cap;
        }

        var now = clock.GetUtcNow();
        var given = state == ConsentState.Given;
        return new ConsentVersion
        {
            State = state,
            PurposeId = request.PurposeId,
            Categories = JsonSerializer.Serialize(categories, JsonSerializerOptions.Web),
            Duration = duration.ToString(),
            StartsAt = given ? now : null,
            ExpiresAt = given ? duration.AddTo(now) : null,
            DataFrom = request.DataFrom,
            DataTo = request.DataTo,
            AccessMode = request.AccessMode,
            MaxReleasesPerPeriod = request.MaxReleasesPerPeriod,
            FrequencyPeriod = request.FrequencyPeriod,
            PolicyVersion = policy.Version,
        };
    }

    private async Task<ConsentView> CreateAsync(
        Guid residentId, DataRequest request, ConsentVersion version, Guid? grantId, AuditActor actor, string? decidedBy, string method, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var prepared = await PrepareAsync(request.ClientId, residentId, cancellationToken);
        var head = new ConsentHead
        {
            Id = Guid.CreateVersion7(now),
            ResidentId = residentId,
            ClientId = request.ClientId,
            DataRequestId = request.Id,
            Version = 1,
            State = version.State,
            ExpiresAt = version.ExpiresAt,
            GrantId = grantId,
            CreatedAt = now,
            UpdatedAt = now,
        };
        version.ConsentId = head.Id;
        version.Version = 1;
        version.CreatedAt = now;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        db.Add(head);
        var kind = version.State switch
        {
            ConsentState.Requested => "requested",
            ConsentState.Refused => "refused",
            _ => "granted",
        };
        var change = version.State switch
        {
            ConsentState.Requested => ConsentChange.Requested,
            ConsentState.Refused => ConsentChange.Refused,
            _ => ConsentChange.Granted,
        };
        try
        {
            await RecordAsync(head, version, kind, change, actor, decidedBy, method, prepared, now, cancellationToken);
        }
        catch (DbUpdateException ex) when (DuplicateKey.Caused(ex))
        {
            // Another request for the same resident and data request committed first (see M0013): nothing of this one is kept.
            db.ChangeTracker.Clear();
            throw ConsentException.Conflict("consent_exists", "There is already a live consent for this request; it was made a moment ago.");
        }

        await transaction.CommitAsync(cancellationToken);
        return await GetAsync(residentId, head.Id, cancellationToken);
    }

    private async Task ChangeAsync(
        Guid consentId, ConsentState[] from, ConsentState to, string kind, ConsentChange change, AuditActor actor, string? decidedBy, string method,
        ConsentVersion? newTerms, CancellationToken cancellationToken)
    {
        var current = await db.Set<ConsentHead>().AsNoTracking().SingleAsync(c => c.Id == consentId, cancellationToken);
        var prepared = await PrepareAsync(current.ClientId, current.ResidentId, cancellationToken);
        var now = clock.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var head = (await LockAsync(db, consentId, cancellationToken))!;
        if (!from.Contains(head.State))
        {
            throw ConsentException.Conflict("invalid_transition",
                $"Consent {consentId} is {StateName(head.State)}; it cannot be {kind} (allowed from {string.Join(" or ", from.Select(StateName))}).");
        }

        var previous = await db.Set<ConsentVersion>().AsNoTracking().SingleAsync(v => v.ConsentId == consentId && v.Version == head.Version, cancellationToken);
        if (to == ConsentState.Given && newTerms is null && previous.ExpiresAt is { } ends && ends <= now)
        {
            throw ConsentException.Conflict("consent_expired", $"Consent {consentId} ended at {ends:O}; it cannot be resumed. Grant the request again.");
        }

        var version = newTerms ?? new ConsentVersion
        {
            PurposeId = previous.PurposeId,
            Categories = previous.Categories,
            Duration = previous.Duration,
            StartsAt = previous.StartsAt,
            ExpiresAt = previous.ExpiresAt,
            DataFrom = previous.DataFrom,
            DataTo = previous.DataTo,
            AccessMode = previous.AccessMode,
            MaxReleasesPerPeriod = previous.MaxReleasesPerPeriod,
            FrequencyPeriod = previous.FrequencyPeriod,
            PolicyVersion = policy.Version,
        };
        version.ConsentId = consentId;
        version.Version = head.Version + 1;
        version.State = to;
        version.CreatedAt = now;
        head.Version = version.Version;
        head.State = to;
        head.ExpiresAt = to is ConsentState.Given or ConsentState.Paused ? version.ExpiresAt : null;
        head.UpdatedAt = now;
        if (to is ConsentState.Paused or ConsentState.Withdrawn or ConsentState.Expired && head.GrantId is { } grantId)
        {
            await GrantRevocation.RevokeAsync(db, grantId, "consent_" + StateName(to), now, cancellationToken);
        }

        await RecordAsync(head, version, kind, change, actor, decidedBy, method, prepared, now, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await NotifyAsync(head.ResidentId, prepared, kind, decidedBy, cancellationToken);
    }

    /// <summary>What a change needs that must not be fetched inside its transaction (keys, pairwise secret).</summary>
    private sealed record Prepared(Recipient Recipient, string Subject, Microsoft.IdentityModel.Tokens.SigningCredentials Credentials);

    private async Task<Prepared> PrepareAsync(string clientId, Guid residentId, CancellationToken cancellationToken)
    {
        var recipient = await db.Set<Recipient>().AsNoTracking().SingleAsync(r => r.ClientId == clientId, cancellationToken);
        var client = await db.Set<Client>().AsNoTracking().SingleAsync(c => c.ClientId == clientId, cancellationToken);
        var subject = await pairwise.SubjectAsync(client, residentId, cancellationToken);
        return new Prepared(recipient, subject, await receipts.CredentialsAsync(cancellationToken));
    }

    private async Task RecordAsync(
        ConsentHead head, ConsentVersion version, string kind, ConsentChange change, AuditActor actor, string? decidedBy, string method, Prepared prepared,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (version.State != ConsentState.Requested)
        {
            var receipt = receipts.Issue(prepared.Credentials, head, version, prepared.Recipient, prepared.Subject, decidedBy is null ? method : "standing-instruction", now);
            version.ReceiptId = receipt.Id;
            db.Add(receipt);
        }

        db.Add(version);
        db.Add(new ConsentEvent
        {
            ConsentId = head.Id,
            Version = version.Version,
            Kind = kind,
            ActorType = AuditActorTypes.Name(actor.Type),
            DecidedBy = decidedBy,
            OccurredAt = now,
        });
        if (WebhookEvent(kind) is { } eventType)
        {
            await webhooks.EnqueueAsync(db, head.ClientId, head.Id, eventType, new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["state"] = StateName(version.State),
                ["version"] = version.Version,
                ["dataRequestId"] = head.DataRequestId.ToString("D"),
                ["mustDelete"] = MustDelete(version.State) == true,
            }, cancellationToken);
        }

        if (decidedBy is not null || kind == "expired")
        {
            db.Add(new ResidentNotification { Id = Guid.CreateVersion7(now), ResidentId = head.ResidentId, ConsentId = head.Id, Kind = "consent." + (decidedBy is null ? kind : "auto_" + kind), CreatedAt = now });
        }

        await db.SaveChangesAsync(cancellationToken);
        await audit.AppendAsync(db, new ConsentChanged(actor, head.ResidentId, head.Id, head.ClientId, version.PurposeId, change, version.Version, decidedBy), cancellationToken);
    }

    private static string? WebhookEvent(string kind) => kind switch
    {
        "granted" => "consent.granted",
        "refused" => "consent.refused",
        "paused" => "consent.paused",
        "resumed" => "consent.resumed",
        "withdrawn" => "consent.revoked",
        "expired" => "consent.expired",
        _ => null,
    };

    /// <summary>Mails the resident about a change they did not make themselves (a rule, expiry); the stored notification stays either way.</summary>
    private async Task NotifyAsync(Guid residentId, Prepared prepared, string kind, string? decidedBy, CancellationToken cancellationToken)
    {
        if (decidedBy is null && kind != "expired")
        {
            return;
        }

        var account = await db.Set<UserAccount>().AsNoTracking().Where(u => u.Id == residentId).Select(u => new { u.Email, u.PreferredLocale }).SingleOrDefaultAsync(cancellationToken);
        if (account?.Email is not { } email)
        {
            return;
        }

        var (ja, en) = kind switch
        {
            "granted" => ("あなたが決めたルールにより、同意しました", "Consent given under one of your rules"),
            "refused" => ("あなたが決めたルールにより、お断りしました", "Request refused under one of your rules"),
            _ => ("同意の期間が終わりました", "A consent has ended"),
        };
        var body = $"{prepared.Recipient.OrganisationName}\n{ja}\nDataTrust でくわしく確認できます。\n\n----\n\n{en}\nSee the details in DataTrust.\n";
        try
        {
            await mail.SendAsync(new OutgoingMail(email, "【DataTrust】" + ja, body), cancellationToken);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or System.Net.Mail.SmtpException)
        {
            LogMailFailed(logger, e.GetType().Name);
        }
    }

    private async Task ApplyStandingInstructionsAsync(Guid residentId, Guid consentId, DataRequest request, CancellationToken cancellationToken)
    {
        var rules = await db.Set<StandingInstruction>().AsNoTracking().Where(r => r.ResidentId == residentId).OrderBy(r => r.CreatedAt).ToListAsync(cancellationToken);
        if (rules.Count == 0)
        {
            return;
        }

        var kind = await db.Set<Client>().AsNoTracking().Where(c => c.ClientId == request.ClientId).Select(c => c.Kind).SingleAsync(cancellationToken);
        var decision = StandingInstructions.Decide(rules, request.PurposeId, kind, DataRequests.Categories(request.Categories));
        if (decision is null)
        {
            return;
        }

        var actor = AuditActor.System("consent/standing-instructions");
        var decidedBy = "rule " + decision.Rule.Id.ToString("D");
        if (decision.Allow)
        {
            var terms = Terms(request, ConsentState.Given, new ConsentNarrowing(decision.Categories, null), decision.MaxDuration);
            await ChangeAsync(consentId, [ConsentState.Requested], ConsentState.Given, "granted", ConsentChange.Granted, actor, decidedBy, "standing-instruction", terms, cancellationToken);
        }
        else
        {
            await ChangeAsync(consentId, [ConsentState.Requested], ConsentState.Refused, "refused", ConsentChange.Refused, actor, decidedBy, "standing-instruction", null, cancellationToken);
        }
    }

    /// <summary>
    /// The resident whose pairwise subject at this recipient's sector is <paramref name="handle"/>. The
    /// subject is an HMAC and cannot be inverted, so residents are tried one by one; an index of issued
    /// subjects would make this a lookup (see the report: not done yet).
    /// </summary>
    private async Task<Guid?> ResolveHandleAsync(string clientId, string handle, CancellationToken cancellationToken)
    {
        var client = await db.Set<Client>().AsNoTracking().SingleAsync(c => c.ClientId == clientId, cancellationToken);
        var residentRole = await db.Roles.AsNoTracking().Where(r => r.Name == Roles.Resident).Select(r => r.Id).SingleOrDefaultAsync(cancellationToken);
        var residents = await db.UserRoles.AsNoTracking().Where(ur => ur.RoleId == residentRole).Select(ur => ur.UserId).ToListAsync(cancellationToken);
        foreach (var resident in residents)
        {
            if (string.Equals(await pairwise.SubjectAsync(client, resident, cancellationToken), handle, StringComparison.Ordinal))
            {
                return resident;
            }
        }

        return null;
    }

    [LoggerMessage(EventId = 7102, Level = LogLevel.Warning, Message = "A consent notification mail could not be sent ({Error}); the stored notification remains")]
    private static partial void LogMailFailed(ILogger logger, string error);
}

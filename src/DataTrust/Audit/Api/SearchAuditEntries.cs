using System.Globalization;
using System.Security.Claims;
using System.Text.Json.Nodes;
using DataTrust.Audit.Events;
using DataTrust.Audit.Storage;
using DataTrust.Persistence;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Audit.Api;

/// <summary>
/// <c>GET /api/audit/entries</c>: search by time range (<c>from</c>, <c>to</c>, RFC 3339), <c>actorType</c>,
/// <c>actorId</c>, <c>action</c>, <c>recipient</c>, <c>consent</c>, and the resident (<c>subject</c>
/// pseudonym, or <c>residentId</c> which is turned into it). Oldest first; pass the answer's
/// <c>nextAfter</c> as <c>after</c> for the next page (keyset pagination). The search is recorded.
/// </summary>
internal static class SearchAuditEntries
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;

    internal sealed record Page(IReadOnlyList<AuditEntryView> Items, long? NextAfter);

    internal sealed record Filters(
        DateTimeOffset? From,
        DateTimeOffset? To,
        string? ActorType,
        string? ActorId,
        string? Action,
        string? Recipient,
        string? Consent,
        string? Subject,
        Guid? ResidentId,
        long? After,
        int Limit);

    public static void Map(RouteGroupBuilder auditors) => auditors.MapGet("/entries", Handle);

    private static async Task<Results<Ok<Page>, ProblemHttpResult>> Handle(
        HttpRequest request,
        ClaimsPrincipal user,
        IDbContextFactory<DataTrustDbContext> contexts,
        IAuditLog log,
        AuditPseudonyms pseudonyms,
        CancellationToken cancellationToken)
    {
        if (AuditEndpoints.Auditor(user) is not { } actor)
        {
            return AuditEndpoints.NoAccountId();
        }

        var (filters, error) = Parse(request.Query);
        if (filters is null)
        {
            return AuditEndpoints.BadRequest(error!);
        }

        return TypedResults.Ok(await SearchAsync(filters, actor, contexts, log, pseudonyms, cancellationToken));
    }

    /// <summary>Runs a parsed search and records it (the API and the auditor console share this).</summary>
    internal static async Task<Page> SearchAsync(
        Filters filters,
        AuditActor actor,
        IDbContextFactory<DataTrustDbContext> contexts,
        IAuditLog log,
        AuditPseudonyms pseudonyms,
        CancellationToken cancellationToken)
    {
        var subject = filters.ResidentId is { } resident ? pseudonyms.Of(resident) : filters.Subject;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var query = db.Set<AuditEntry>().AsNoTracking();
        if (filters.From is { } from)
        {
            query = query.Where(e => e.RecordedAt >= from);
        }

        if (filters.To is { } to)
        {
            query = query.Where(e => e.RecordedAt < to);
        }

        if (filters.ActorType is { } actorType)
        {
            query = query.Where(e => e.ActorType == actorType);
        }

        if (filters.ActorId is { } actorId)
        {
            query = query.Where(e => e.ActorId == actorId);
        }

        if (filters.Action is { } action)
        {
            query = query.Where(e => e.Action == action);
        }

        if (filters.Recipient is { } recipient)
        {
            query = query.Where(e => e.Recipient == recipient);
        }

        if (filters.Consent is { } consent)
        {
            query = query.Where(e => e.Consent == consent);
        }

        if (subject is not null)
        {
            query = query.Where(e => e.Subject == subject);
        }

        if (filters.After is { } after)
        {
            query = query.Where(e => e.Seq > after);
        }

        var rows = await query.OrderBy(e => e.Seq).Take(filters.Limit + 1).ToListAsync(cancellationToken);
        var items = rows.Take(filters.Limit).Select(AuditEntryView.From).ToList();
        var nextAfter = rows.Count > filters.Limit ? items[^1].Seq : (long?)null;

        await log.RecordAsync(contexts, new AuditLogSearched(actor, filters.ResidentId, filters.Subject, Describe(filters)), cancellationToken);
        return new Page(items, nextAfter);
    }

    internal static (Filters? Filters, string? Error) Parse(IQueryCollection query)
    {
        var known = new HashSet<string>(["from", "to", "actorType", "actorId", "action", "recipient", "consent", "subject", "residentId", "after", "limit"], StringComparer.Ordinal);
        if (query.Keys.FirstOrDefault(k => !known.Contains(k)) is { } unknown)
        {
            return (null, $"Unknown parameter '{unknown}'. Known: {string.Join(", ", known)}.");
        }

        if (query.Any(p => p.Value.Count > 1))
        {
            return (null, "Give each parameter at most once.");
        }

        string? Text(string name) => query.TryGetValue(name, out var v) && !string.IsNullOrEmpty(v) ? v.ToString() : null;

        if (!TryTime(Text("from"), out var from) || !TryTime(Text("to"), out var to))
        {
            return (null, "'from' and 'to' are RFC 3339 date-times with an offset, e.g. 2026-11-21T09:00:00Z.");
        }

        if (from is not null && to is not null && from > to)
        {
            return (null, "'from' is after 'to'.");
        }

        var actorType = Text("actorType");
        if (actorType is not null && !AuditActorTypes.All.Contains(actorType, StringComparer.Ordinal))
        {
            return (null, $"'actorType' is one of {string.Join(", ", AuditActorTypes.All)}.");
        }

        var consent = Text("consent");
        if (consent is not null && !Guid.TryParse(consent, out _))
        {
            return (null, "'consent' is a consent id (a UUID).");
        }

        var subject = Text("subject");
        if (subject is not null && (subject.Length != 64 || !subject.All(char.IsAsciiHexDigitLower)))
        {
            return (null, "'subject' is a resident pseudonym: 64 lowercase hex digits.");
        }

        Guid? residentId = null;
        if (Text("residentId") is { } residentText)
        {
            if (!Guid.TryParse(residentText, out var parsed))
            {
                return (null, "'residentId' is an account id (a UUID).");
            }

            residentId = parsed;
        }

        if (subject is not null && residentId is not null)
        {
            return (null, "Give 'subject' or 'residentId', not both.");
        }

        long? after = null;
        if (Text("after") is { } afterText)
        {
            if (!AuditEndpoints.TryParseSize(afterText, out var parsed))
            {
                return (null, "'after' is the sequence number of the last entry seen (a non-negative integer).");
            }

            after = parsed;
        }

        var limit = DefaultLimit;
        if (Text("limit") is { } limitText && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > MaxLimit))
        {
            return (null, $"'limit' is between 1 and {MaxLimit}.");
        }

        foreach (var (name, max) in new[] { ("actorId", 200), ("action", 64), ("recipient", 200) })
        {
            if (Text(name)?.Length > max)
            {
                return (null, $"'{name}' is at most {max} characters.");
            }
        }

        return (new Filters(from, to, actorType, Text("actorId"), Text("action"), Text("recipient"), consent?.ToLowerInvariant(), subject, residentId, after, limit), null);
    }

    private static bool TryTime(string? text, out DateTimeOffset? value)
    {
        value = null;
        if (text is null)
        {
            return true;
        }

        // RFC 3339 requires the offset; a time without one would silently mean the server's zone.
        var hasOffset = text.EndsWith('Z') || text.EndsWith('z') || (text.Length > 6 && text[^6] is '+' or '-' && text[^3] == ':');
        if (hasOffset && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            value = parsed;
            return true;
        }

        return false;
    }

    /// <summary>The filters as recorded: a resident searched for appears as the entry's subject, not here.</summary>
    private static JsonObject Describe(Filters filters)
    {
        var described = new JsonObject();
        void Add(string name, JsonNode? value)
        {
            if (value is not null)
            {
                described[name] = value;
            }
        }

        Add("from", filters.From is { } from ? AuditEntryEncoding.FormatTime(from) : null);
        Add("to", filters.To is { } to ? AuditEntryEncoding.FormatTime(to) : null);
        Add("actorType", filters.ActorType);
        Add("actorId", filters.ActorId);
        Add("action", filters.Action);
        Add("recipient", filters.Recipient);
        Add("consent", filters.Consent);
        Add("byResident", filters.ResidentId is null && filters.Subject is null ? null : true);
        Add("after", filters.After);
        Add("limit", filters.Limit);
        return described;
    }
}

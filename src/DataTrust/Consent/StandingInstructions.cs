using DataTrust.Audit;
using DataTrust.Audit.Events;
using DataTrust.Identity.Clients;
using DataTrust.Persistence;
using DataTrust.Policies;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Consent;

/// <summary>
/// A standing instruction as the resident writes it. <c>Kind</c> is <c>allow</c> (purposes, recipient
/// kinds, categories, longest duration) or <c>never</c> (categories never shared).
/// </summary>
public sealed record StandingInstructionInput(string? Kind, IReadOnlyList<string>? Purposes, IReadOnlyList<string>? RecipientKinds, IReadOnlyList<string>? Categories, string? MaxDuration);

public sealed record StandingInstructionView(
    Guid Id, string Kind, IReadOnlyList<string> Purposes, IReadOnlyList<string> RecipientKinds, IReadOnlyList<string> Categories, string? MaxDuration,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    internal static StandingInstructionView From(StandingInstruction r) =>
        new(r.Id, r.Kind.ToString().ToLowerInvariant(), r.Purposes, r.RecipientKinds, r.Categories, r.MaxDuration, r.CreatedAt, r.UpdatedAt);
}

/// <summary>What the rules decided for one request: allow (narrowed to <see cref="Categories"/>, capped at <see cref="MaxDuration"/>) or refuse.</summary>
internal sealed record RuleDecision(StandingInstruction Rule, bool Allow, IReadOnlyList<string> Categories, IsoDuration? MaxDuration);

/// <summary>The resident's standing instructions (情報信託): CRUD, and the decision they make for a request reaching the inbox.</summary>
internal sealed class StandingInstructions(DataTrustDbContext db, DataUsePolicy policy, IAuditLog audit, TimeProvider clock)
{
    private static readonly string[] RecipientClientKinds = [nameof(ClientKind.BusinessRecipient), nameof(ClientKind.CityOsService)];

    public async Task<IReadOnlyList<StandingInstructionView>> ListAsync(Guid residentId, CancellationToken cancellationToken) =>
        [.. (await db.Set<StandingInstruction>().AsNoTracking().Where(r => r.ResidentId == residentId).OrderBy(r => r.CreatedAt).ToListAsync(cancellationToken))
            .Select(StandingInstructionView.From)];

    public async Task<StandingInstructionView> GetAsync(Guid residentId, Guid id, CancellationToken cancellationToken) =>
        StandingInstructionView.From(await db.Set<StandingInstruction>().AsNoTracking().SingleOrDefaultAsync(r => r.Id == id && r.ResidentId == residentId, cancellationToken)
            ?? throw NotFound(id));

    public async Task<StandingInstructionView> CreateAsync(Guid residentId, StandingInstructionInput input, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var rule = new StandingInstruction { Id = Guid.CreateVersion7(now), ResidentId = residentId, CreatedAt = now };
        Apply(rule, input, now);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        db.Add(rule);
        await db.SaveChangesAsync(cancellationToken);
        await audit.AppendAsync(db, new StandingInstructionChanged(AuditActor.Resident(residentId), residentId, rule.Id, KindName(rule.Kind), "created"), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return StandingInstructionView.From(rule);
    }

    public async Task<StandingInstructionView> UpdateAsync(Guid residentId, Guid id, StandingInstructionInput input, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var rule = await db.Set<StandingInstruction>().SingleOrDefaultAsync(r => r.Id == id && r.ResidentId == residentId, cancellationToken) ?? throw NotFound(id);
        Apply(rule, input, clock.GetUtcNow());
        await db.SaveChangesAsync(cancellationToken);
        await audit.AppendAsync(db, new StandingInstructionChanged(AuditActor.Resident(residentId), residentId, rule.Id, KindName(rule.Kind), "updated"), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return StandingInstructionView.From(rule);
    }

    public async Task DeleteAsync(Guid residentId, Guid id, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var rule = await db.Set<StandingInstruction>().SingleOrDefaultAsync(r => r.Id == id && r.ResidentId == residentId, cancellationToken) ?? throw NotFound(id);
        db.Remove(rule);
        await db.SaveChangesAsync(cancellationToken);
        await audit.AppendAsync(db, new StandingInstructionChanged(AuditActor.Resident(residentId), residentId, rule.Id, KindName(rule.Kind), "deleted"), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// Never rules first: a request touching a never-shared category is refused. Then the first allow
    /// rule (oldest first) that covers the purpose and recipient kind and at least one requested
    /// category grants, narrowed to the categories it covers. Null: no rule decides; the request waits.
    /// </summary>
    internal static RuleDecision? Decide(IReadOnlyList<StandingInstruction> rules, string purposeId, ClientKind recipientKind, IReadOnlyList<RequestedCategory> requested)
    {
        var categories = requested.Select(c => c.Category).ToList();
        var never = rules.FirstOrDefault(r => r.Kind == StandingInstructionKind.Never && r.Categories.Intersect(categories, StringComparer.Ordinal).Any());
        if (never is not null)
        {
            return new RuleDecision(never, Allow: false, [], null);
        }

        foreach (var rule in rules.Where(r => r.Kind == StandingInstructionKind.Allow))
        {
            var covered = categories.Where(c => rule.Categories.Contains(c, StringComparer.Ordinal)).ToList();
            if (rule.Purposes.Contains(purposeId, StringComparer.Ordinal)
                && (rule.RecipientKinds.Count == 0 || rule.RecipientKinds.Contains(recipientKind.ToString(), StringComparer.Ordinal))
                && covered.Count > 0)
            {
                IsoDuration? cap = rule.MaxDuration is { } text && IsoDuration.TryParse(text, out var parsed) ? parsed : null;
                return new RuleDecision(rule, Allow: true, covered, cap);
            }
        }

        return null;
    }

    private static string KindName(StandingInstructionKind kind) => kind.ToString().ToLowerInvariant();

    private static ConsentException NotFound(Guid id) => ConsentException.NotFound("standing instruction", $"You have no standing instruction {id}.");

    private void Apply(StandingInstruction rule, StandingInstructionInput input, DateTimeOffset now)
    {
        rule.Kind = input.Kind switch
        {
            "allow" => StandingInstructionKind.Allow,
            "never" => StandingInstructionKind.Never,
            _ => throw ConsentException.Invalid("kind_invalid", "kind is 'allow' or 'never'."),
        };
        var categories = (input.Categories ?? []).Distinct(StringComparer.Ordinal).ToList();
        if (categories.Count == 0 || categories.Any(c => policy.FindCategory(c ?? "") is null))
        {
            throw ConsentException.Invalid("category_unknown", "Name at least one category, each one from the policy.");
        }

        var purposes = (input.Purposes ?? []).Distinct(StringComparer.Ordinal).ToList();
        var kinds = (input.RecipientKinds ?? []).Distinct(StringComparer.Ordinal).ToList();
        string? maxDuration = null;
        if (rule.Kind == StandingInstructionKind.Allow)
        {
            if (purposes.Count == 0 || purposes.Any(p => policy.FindPurpose(p ?? "") is null))
            {
                throw ConsentException.Invalid("purpose_unknown", "An allow rule names at least one purpose, each one from the policy's catalogue.");
            }

            if (kinds.Any(k => !RecipientClientKinds.Contains(k, StringComparer.Ordinal)))
            {
                throw ConsentException.Invalid("recipient_kind_invalid", $"recipientKinds are among {string.Join(", ", RecipientClientKinds)} (none: any).");
            }

            if (categories.Any(policy.IsSpecialCare))
            {
                throw ConsentException.Invalid("sensitive_not_automatic", "Special-care (要配慮) data is never shared automatically: decide each such request yourself.");
            }

            if (input.MaxDuration is { } text)
            {
                maxDuration = IsoDuration.TryParse(text, out var parsed) ? parsed.ToString()
                    : throw ConsentException.Invalid("duration_invalid", "maxDuration is an ISO 8601 duration, e.g. P6M.");
            }
        }
        else if (purposes.Count > 0 || kinds.Count > 0 || input.MaxDuration is not null)
        {
            throw ConsentException.Invalid("never_rule_invalid", "A never rule names only categories: they are never shared, with anyone, for anything.");
        }

        rule.Purposes = purposes;
        rule.RecipientKinds = kinds;
        rule.Categories = categories;
        rule.MaxDuration = maxDuration;
        rule.UpdatedAt = now;
    }
}

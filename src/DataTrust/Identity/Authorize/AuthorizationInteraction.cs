using System.Security.Claims;
using DataTrust.Identity.Clients;
using DataTrust.Identity.Protocol;
using DataTrust.Identity.Session;
using DataTrust.Identity.Storage;
using DataTrust.Audit;
using DataTrust.Consent;
using DataTrust.Persistence;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DataTrust.Identity.Authorize;

/// <summary>
/// The steps between a valid authorization request and its code: sign-in (honouring <c>prompt</c> and
/// <c>max_age</c>, OIDC Core §3.1.2.1), consent (remembered per client and scopes in a grant), then a
/// single-use code. Each step reads the request from the database by its random id.
/// </summary>
internal sealed class AuthorizationInteraction(
    DataTrustDbContext db, IAuditLog audit, Issuer issuer, IOptions<OidcOptions> options, TimeProvider clock, ILoggerFactory loggers, ConsentLedger ledger)
{
    public static string ContinuePath(string id) => Endpoints.AuthorizeContinue + "?id=" + Uri.EscapeDataString(id);

    /// <summary>The pending request and its client, or null when it is unknown, used or expired.</summary>
    public async Task<(AuthorizationRequest Row, AuthorizationParameters Request, Client Client)?> FindAsync(string? id, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(id))
        {
            return null;
        }

        var now = clock.GetUtcNow();
        var row = await db.Set<AuthorizationRequest>().AsNoTracking()
            .SingleOrDefaultAsync(r => r.Id == id && r.Kind == AuthorizationRequestKind.Interaction, cancellationToken);
        if (row is null || row.ConsumedAt is not null || row.ExpiresAt <= now)
        {
            return null;
        }

        var client = await db.Set<Client>().AsNoTracking().SingleOrDefaultAsync(c => c.ClientId == row.ClientId && c.Enabled, cancellationToken);
        return client is null ? null : (row, AuthorizationParameters.FromJson(row.Parameters), client);
    }

    public async Task<IResult> ContinueAsync(HttpContext context, string? id, CancellationToken cancellationToken)
    {
        var found = await FindAsync(id, cancellationToken);
        if (found is not var (row, request, client))
        {
            return Expired();
        }

        var iss = issuer.For(context);
        var now = clock.GetUtcNow();
        var session = await context.AuthenticateAsync(IdentityConstants.ApplicationScheme);
        var stamp = SessionStamp.Read(session);
        var userId = UserId(session.Principal);
        // A sign-in after the request satisfies prompt=login and any max_age (max_age=0 included),
        // so coming back from the login page never loops.
        var signedInSinceRequest = stamp is { } s && s.AuthTime > row.CreatedAt;
        var mustSignIn = stamp is null || userId is null
            || (request.Prompts("login") && !signedInSinceRequest)
            || (request.MaxAge is { } maxAge && !signedInSinceRequest && (now - stamp.Value.AuthTime).TotalSeconds > maxAge);
        if (mustSignIn)
        {
            if (request.Prompts("none"))
            {
                return Refuse(request, iss, "login_required", "The resident is not signed in.");
            }

            return AuthorizationResponses.SeeOtherLocal(LoginPath(row.Id, request));
        }

        // Purpose-bound requests are consented each time; their grant is the one made by that approval.
        var grant = request.AuthorizationDetails is null
            ? await CoveringGrantAsync(userId!.Value, client.ClientId, request.Scopes, now, cancellationToken)
            : request.GrantId is { } made
                ? await db.Set<Grant>().AsNoTracking().SingleOrDefaultAsync(g => g.Id == made && g.UserId == userId && g.Status == GrantStatus.Active && g.ExpiresAt > now, cancellationToken)
                : null;
        if (grant is null || (request.Prompts("consent") && row.ConsentedAt is null))
        {
            if (request.Prompts("none"))
            {
                return Refuse(request, iss, "consent_required", "The resident has not consented to this request.");
            }

            return AuthorizationResponses.SeeOtherLocal(Endpoints.Consent + "?id=" + Uri.EscapeDataString(row.Id));
        }

        if (!await ConsumeAsync(row.Id, now, cancellationToken))
        {
            return Expired();
        }

        var code = TokenHash.NewValue();
        db.Add(new AuthorizationCode
        {
            CodeHash = TokenHash.Of(code),
            ClientId = client.ClientId,
            GrantId = grant.Id,
            UserId = userId!.Value,
            RedirectUri = request.RedirectUri,
            Scopes = [.. request.Scopes],
            Nonce = request.Nonce,
            CodeChallenge = request.CodeChallenge,
            Audience = request.Audience,
            DpopJkt = request.DpopJkt,
            AuthTime = stamp!.Value.AuthTime,
            SessionId = stamp.Value.SessionId,
            CreatedAt = now,
            ExpiresAt = now + options.Value.AuthorizationCodeLifetime,
        });
        await db.SaveChangesAsync(cancellationToken);
        IdentityEvents.AuthorizationCodeIssued(loggers.Logger(), client.ClientId, grant.Id);
        return AuthorizationResponses.Redirect(request.RedirectUri, iss, [new("code", code), new("state", request.State)]);
    }

    /// <summary>
    /// The resident allowed the request: remember the consent in the grant, then continue. With
    /// authorization details, the consent is given through the ledger (narrowed as the resident chose)
    /// and linked to a new grant that holds the details as granted. A refused narrowing throws
    /// <see cref="ConsentException"/> and leaves nothing behind.
    /// </summary>
    public async Task<IResult> AllowAsync(HttpContext context, string id, Guid userId, ConsentNarrowing? narrowing, CancellationToken cancellationToken)
    {
        var found = await FindAsync(id, cancellationToken);
        if (found is not var (row, request, client))
        {
            return Expired();
        }

        var now = clock.GetUtcNow();
        if (request.AuthorizationDetails is { } details)
        {
            return await AllowDetailsAsync(row, request, client, details, userId, narrowing, now, cancellationToken);
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var grant = await db.Set<Grant>()
            .Where(g => g.UserId == userId && g.ClientId == client.ClientId && g.Status == GrantStatus.Active && g.ExpiresAt > now && g.AuthorizationDetails == null)
            .OrderByDescending(g => g.CreatedAt)
            .FirstOrDefaultAsync(cancellationToken);
        if (grant is null)
        {
            grant = new Grant
            {
                Id = Guid.CreateVersion7(),
                UserId = userId,
                ClientId = client.ClientId,
                Status = GrantStatus.Active,
                CreatedAt = now,
            };
            db.Add(grant);
        }

        grant.Scopes = [.. grant.Scopes.Union(request.Scopes, StringComparer.Ordinal)];
        grant.ExpiresAt = now + options.Value.GrantLifetime;
        await db.Set<AuthorizationRequest>().Where(r => r.Id == row.Id).ExecuteUpdateAsync(s => s.SetProperty(r => r.ConsentedAt, now), cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await audit.AppendAsync(db, new ClientAccessDecided(userId, grant.Id, client.ClientId, request.Scopes, Allowed: true), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        IdentityEvents.ConsentGiven(loggers.Logger(), client.ClientId, string.Join(' ', request.Scopes), grant.Id);
        return AuthorizationResponses.SeeOtherLocal(ContinuePath(row.Id));
    }

    private async Task<IResult> AllowDetailsAsync(
        AuthorizationRequest row, AuthorizationParameters request, Client client, string details, Guid userId, ConsentNarrowing? narrowing, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var (detail, _) = ConsentAuthorizationDetail.Parse(details);
        narrowing ??= new ConsentNarrowing(detail!.Categories, detail.Duration);

        // The consent row refers to its grant, so the grant is written first; it has no code or token
        // until the consent exists, and is removed again if the ledger refuses.
        var grant = new Grant
        {
            Id = Guid.CreateVersion7(),
            UserId = userId,
            ClientId = client.ClientId,
            Scopes = [.. request.Scopes],
            Status = GrantStatus.Active,
            CreatedAt = now,
            ExpiresAt = now + options.Value.GrantLifetime,
        };
        db.Add(grant);
        await db.SaveChangesAsync(cancellationToken);
        db.ChangeTracker.Clear();
        ConsentView consent;
        try
        {
            consent = await ledger.GrantAsync(userId, detail!.DataRequest, narrowing, grant.Id, cancellationToken);
        }
        catch (ConsentException)
        {
            db.ChangeTracker.Clear();
            await db.Set<Grant>().Where(g => g.Id == grant.Id).ExecuteDeleteAsync(cancellationToken);
            throw;
        }

        if (consent.ExpiresAt is { } ends && ends < grant.ExpiresAt)
        {
            grant.ExpiresAt = ends;
        }

        var granted = ConsentAuthorizationDetail.Granted(consent);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Set<Grant>().Where(g => g.Id == grant.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(g => g.AuthorizationDetails, granted).SetProperty(g => g.ExpiresAt, grant.ExpiresAt), cancellationToken);
        var parameters = (request with { GrantId = grant.Id }).ToJson();
        await db.Set<AuthorizationRequest>().Where(r => r.Id == row.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.ConsentedAt, now).SetProperty(r => r.Parameters, parameters), cancellationToken);
        await audit.AppendAsync(db, new ClientAccessDecided(userId, grant.Id, client.ClientId, request.Scopes, Allowed: true), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        IdentityEvents.ConsentGiven(loggers.Logger(), client.ClientId, string.Join(' ', request.Scopes), grant.Id);
        return AuthorizationResponses.SeeOtherLocal(ContinuePath(row.Id));
    }

    /// <summary>The resident declined: the client hears <c>access_denied</c> (RFC 6749 §4.1.2.1).</summary>
    public async Task<IResult> DenyAsync(HttpContext context, string id, Guid userId, CancellationToken cancellationToken)
    {
        var found = await FindAsync(id, cancellationToken);
        if (found is not var (row, request, client))
        {
            return Expired();
        }

        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            if (!await ConsumeAsync(row.Id, clock.GetUtcNow(), cancellationToken))
            {
                return Expired();
            }

            await audit.AppendAsync(db, new ClientAccessDecided(userId, null, client.ClientId, request.Scopes, Allowed: false), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        if (request.AuthorizationDetails is { } details && ConsentAuthorizationDetail.Parse(details).Detail is { } detail)
        {
            try
            {
                // The refusal is part of the resident's consent history too.
                await ledger.DenyAsync(userId, detail.DataRequest, cancellationToken);
            }
            catch (ConsentException)
            {
                // a consent for this request already exists (or the request was withdrawn): the client still hears access_denied
            }
        }

        IdentityEvents.ConsentDenied(loggers.Logger(), client.ClientId);
        return AuthorizationResponses.Error(request, issuer.For(context), "access_denied", "The resident declined the request.");
    }

    public static Guid? UserId(ClaimsPrincipal? principal) =>
        Guid.TryParse(principal?.FindFirstValue(ClaimTypes.NameIdentifier), out var id) ? id : null;

    private async Task<Grant?> CoveringGrantAsync(Guid userId, string clientId, IReadOnlyList<string> scopes, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var grants = await db.Set<Grant>().AsNoTracking()
            .Where(g => g.UserId == userId && g.ClientId == clientId && g.Status == GrantStatus.Active && g.ExpiresAt > now)
            .ToListAsync(cancellationToken);
        return grants.Where(g => scopes.All(s => g.Scopes.Contains(s, StringComparer.Ordinal))).MaxBy(g => g.CreatedAt);
    }

    private async Task<bool> ConsumeAsync(string id, DateTimeOffset now, CancellationToken cancellationToken) =>
        await db.Set<AuthorizationRequest>().Where(r => r.Id == id && r.ConsumedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.ConsumedAt, now), cancellationToken) == 1;

    private IResult Refuse(AuthorizationParameters request, string iss, string error, string description)
    {
        IdentityEvents.AuthorizationRefused(loggers.Logger(), request.ClientId, error);
        return AuthorizationResponses.Error(request, iss, error, description);
    }

    private static string LoginPath(string id, AuthorizationParameters request)
    {
        var path = "/account/login?returnUrl=" + Uri.EscapeDataString(ContinuePath(id));
        if (request.UiLocales is { } locales)
        {
            path += "&ui_locales=" + Uri.EscapeDataString(locales.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "");
        }

        if (request.LoginHint is { } hint)
        {
            path += "&login_hint=" + Uri.EscapeDataString(hint);
        }

        return path;
    }

    private static IResult Expired() => AuthorizationResponses.Page(StatusCodes.Status400BadRequest,
        "このログイン要求は期限切れか、すでに完了しています。アプリに戻って、もう一度お試しください。",
        "This sign-in request has expired or is already complete. Return to the application and try again.");
}

using System.Security.Claims;
using DataTrust.Audit;
using DataTrust.Audit.Events;
using DataTrust.Persistence;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DataTrust.Accounts.Sessions;

/// <summary>Cookie events that keep <see cref="UserSession"/> rows in step with sign-in, each request and sign-out.</summary>
internal static class SessionTracking
{
    /// <summary>The claim in the session cookie that names its <see cref="UserSession"/> row.</summary>
    public const string SessionClaim = "dt_sid";

    private static readonly TimeSpan LastSeenResolution = TimeSpan.FromMinutes(5);

    public static async Task OnSigningIn(CookieSigningInContext context)
    {
        if (context.Principal?.Identity is not ClaimsIdentity identity
            || !Guid.TryParse(identity.FindFirst(ClaimTypes.NameIdentifier)?.Value, out var userId))
        {
            return;
        }

        var services = context.HttpContext.RequestServices;
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var session = new UserSession
        {
            Id = Guid.CreateVersion7(),
            UserId = userId,
            Device = DescribeDevice(context.HttpContext.Request.Headers.UserAgent.ToString()),
            CreatedAt = now,
            LastSeenAt = now,
        };
        // The session row and the sign-in entry commit together; if the audit write fails, so does the sign-in.
        await using var db = await services.GetRequiredService<IDbContextFactory<DataTrustDbContext>>().CreateDbContextAsync();
        await using var transaction = await db.Database.BeginTransactionAsync();
        db.Add(session);
        var method = identity.HasClaim("amr", Passkeys.PasskeySignIn.Method) ? Passkeys.PasskeySignIn.Method : identity.HasClaim("amr", "mfa") ? "password+totp" : "password";
        var actor = AccountAudit.Actor(userId, identity.FindAll(ClaimTypes.Role).Select(c => c.Value));
        await services.GetRequiredService<IAuditLog>().AppendAsync(db, new SignedIn(actor, method));
        await db.SaveChangesAsync();
        await transaction.CommitAsync();

        foreach (var stale in identity.FindAll(SessionClaim).ToList())
        {
            identity.RemoveClaim(stale);
        }

        identity.AddClaim(new Claim(SessionClaim, session.Id.ToString()));
    }

    /// <summary>Rejects a cookie whose session row is gone, then runs Identity's security-stamp check.</summary>
    public static async Task OnValidatePrincipal(CookieValidatePrincipalContext context)
    {
        var services = context.HttpContext.RequestServices;
        if (!Guid.TryParse(context.Principal?.FindFirst(SessionClaim)?.Value, out var sessionId))
        {
            await Reject(context);
            return;
        }

        await using var db = await services.GetRequiredService<IDbContextFactory<DataTrustDbContext>>().CreateDbContextAsync();
        var session = await db.Set<UserSession>().FirstOrDefaultAsync(s => s.Id == sessionId);
        if (session is null)
        {
            await Reject(context);
            return;
        }

        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        if (now - session.LastSeenAt > LastSeenResolution)
        {
            session.LastSeenAt = now;
            await db.SaveChangesAsync();
        }

        await SecurityStampValidator.ValidatePrincipalAsync(context);
    }

    public static async Task OnSigningOut(CookieSigningOutContext context)
    {
        var user = context.HttpContext.User;
        if (!Guid.TryParse(user.FindFirst(SessionClaim)?.Value, out var sessionId))
        {
            return;
        }

        var services = context.HttpContext.RequestServices;
        await using var db = await services.GetRequiredService<IDbContextFactory<DataTrustDbContext>>().CreateDbContextAsync();
        await using var transaction = await db.Database.BeginTransactionAsync();
        if (await db.Set<UserSession>().Where(s => s.Id == sessionId).ExecuteDeleteAsync() == 1)
        {
            await services.GetRequiredService<IAuditLog>().AppendAsync(db, new SignedOut(AccountAudit.Actor(user)));
            await transaction.CommitAsync();
        }
    }

    private static async Task Reject(CookieValidatePrincipalContext context)
    {
        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(IdentityConstants.ApplicationScheme);
    }

    /// <summary>"Firefox on Windows"-style text; the raw header is not kept.</summary>
    internal static string DescribeDevice(string userAgent)
    {
        static string? First(string ua, params (string Token, string Name)[] candidates) =>
            candidates.FirstOrDefault(c => ua.Contains(c.Token, StringComparison.OrdinalIgnoreCase)).Name;

        var browser = First(userAgent, ("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari")) ?? "Browser";
        var system = First(userAgent, ("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"), ("Mac OS", "macOS"), ("Linux", "Linux"));
        return system is null ? browser : $"{browser} / {system}";
    }
}

using System.Globalization;
using DataTrust.Identity.Protocol;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace DataTrust.Identity.Session;

/// <summary>
/// Stamps each sign-in session with the time the person authenticated (OIDC <c>auth_time</c>) and a
/// session id (<c>sid</c>). Milliseconds, so that <c>prompt=login</c> can tell a sign-in that happened
/// after the request from one in the same second before it. They live in the cookie's authentication properties, which survive sliding
/// renewal and security-stamp refreshes, where the issue time and the claims do not.
/// </summary>
internal static class SessionStamp
{
    private const string AuthTimeKey = ".oidc.auth_time";
    private const string SessionIdKey = ".oidc.sid";

    public static void Install(CookieAuthenticationOptions options, TimeProvider clock)
    {
        var previous = options.Events.OnSigningIn;
        options.Events.OnSigningIn = context =>
        {
            if (!context.Properties.Items.ContainsKey(AuthTimeKey))
            {
                context.Properties.Items[AuthTimeKey] = clock.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
                context.Properties.Items[SessionIdKey] = TokenHash.NewValue();
            }

            return previous(context);
        };
    }

    public static (DateTimeOffset AuthTime, string SessionId)? Read(AuthenticateResult result)
    {
        if (!result.Succeeded || result.Properties is not { } properties
            || !properties.Items.TryGetValue(AuthTimeKey, out var authTime)
            || !long.TryParse(authTime, NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds)
            || !properties.Items.TryGetValue(SessionIdKey, out var sessionId) || string.IsNullOrEmpty(sessionId))
        {
            return null;
        }

        return (DateTimeOffset.FromUnixTimeMilliseconds(milliseconds), sessionId);
    }
}

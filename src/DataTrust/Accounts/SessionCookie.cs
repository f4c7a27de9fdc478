using DataTrust.Common.Http;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;

namespace DataTrust.Accounts;

/// <summary>The portal's sign-in session cookie, and how APIs answer when it is missing or not enough.</summary>
internal static class SessionCookie
{
    public static void Configure(CookieAuthenticationOptions options)
    {
        options.Cookie.Name = ".DataTrust.Session";
        options.Cookie.HttpOnly = true;
        options.Cookie.SameSite = SameSiteMode.Lax;
        options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        options.ExpireTimeSpan = TimeSpan.FromHours(1);
        options.SlidingExpiration = true;
        options.LoginPath = "/account/login";
        options.LogoutPath = "/account/logout";
        options.AccessDeniedPath = "/account/denied";
        options.ReturnUrlParameter = "returnUrl";

        options.Events.OnSigningIn = Sessions.SessionTracking.OnSigningIn;
        options.Events.OnValidatePrincipal = Sessions.SessionTracking.OnValidatePrincipal;
        options.Events.OnSigningOut = Sessions.SessionTracking.OnSigningOut;

        // APIs answer 401/403 with problem details instead of redirecting to a page.
        options.Events.OnRedirectToLogin = context => ErrorResponses.IsMachineEndpoint(context.HttpContext)
            ? Problems.Write(context.HttpContext, StatusCodes.Status401Unauthorized, "Authentication required", "Sign in, or present a valid access token.")
            : Redirect(context);
        options.Events.OnRedirectToAccessDenied = context => ErrorResponses.IsMachineEndpoint(context.HttpContext)
            ? Problems.Write(context.HttpContext, StatusCodes.Status403Forbidden, "Forbidden", "Your account does not have the role this endpoint requires.")
            : Redirect(context);
    }

    private static Task Redirect(RedirectContext<CookieAuthenticationOptions> context)
    {
        context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }
}

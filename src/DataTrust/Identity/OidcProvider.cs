using DataTrust.Common.Http;
using DataTrust.Identity.Authorize;
using DataTrust.Identity.ClientAuthentication;
using DataTrust.Identity.DPoP;
using DataTrust.Identity.Discovery;
using DataTrust.Identity.Introspection;
using DataTrust.Identity.Keys;
using DataTrust.Identity.Logout;
using DataTrust.Identity.Par;
using DataTrust.Identity.Protocol;
using DataTrust.Identity.Revocation;
using DataTrust.Identity.Session;
using DataTrust.Identity.Subjects;
using DataTrust.Identity.Token;
using DataTrust.Identity.UserInfo;
using DataTrust.Jobs;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace DataTrust.Identity;

/// <summary>The OpenID provider: services, start-up preparation and endpoints.</summary>
internal static class OidcProvider
{
    public static IServiceCollection AddOidcProvider(this IServiceCollection services)
    {
        services.AddOptions<OidcOptions>().BindConfiguration(OidcOptions.Section);
        services.AddSingleton<Issuer>();
        services.AddSingleton<SigningKeyStore>().AddSingleton<RsaKeySource>();
        services.AddSingleton<PairwiseSubjects>();
        services.AddSingleton<ReplayCache>();
        services.AddSingleton<Audiences>();
        services.AddSingleton<AuthorizationRequestValidator>();
        services.AddScoped<ClientAuthenticator>();
        services.AddSingleton<ClientCache>();
        services.AddScoped<DPoPProofValidator>();
        services.AddScoped<TokenFactory>();
        services.AddSingleton<IssuanceGroupCommit>();
        services.AddScoped<AccessTokenValidator>();
        services.AddSingleton<VerifiedTokenCache>();
        services.AddSingleton<RecentlyLiveTokens>();
        services.AddScoped<ClientCredentialsGrant>();
        services.AddScoped<AuthorizationCodeGrant>();
        services.AddScoped<RefreshTokenGrant>();
        services.AddScoped<AuthorizationInteraction>();
        services.AddScoped<EndSessionRequestValidator>();
        services.AddScoped<ResourceServer.ProtectedResourceAuthenticator>();
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, ResourceServer.AccessTokenAuthenticationHandler>(
            ResourceServer.AccessTokenAuthentication.Scheme, configureOptions: null);
        services.AddScoped<Clients.ClientRegistry>();
        services.AddSingleton<Maintenance.ExpiredProtocolRecords>();
        services.AddJobHandler<Maintenance.PurgeExpiredProtocolRecordsJob>(Maintenance.PurgeExpiredProtocolRecordsJob.Kind);
        services.AddRecurringJob(Maintenance.PurgeExpiredProtocolRecordsJob.Schedule, Maintenance.PurgeExpiredProtocolRecordsJob.Kind, TimeSpan.FromHours(1));
        services.AddOptions<CookieAuthenticationOptions>(IdentityConstants.ApplicationScheme)
            .PostConfigure<TimeProvider>((cookie, clock) => SessionStamp.Install(cookie, clock));
        return services;
    }

    /// <summary>Start-up: the issuer is configured where it must be, and signing keys exist.</summary>
    public static async Task PrepareOidcProviderAsync(this IServiceProvider services, CancellationToken cancellationToken)
    {
        services.GetRequiredService<Issuer>().Validate();
        await services.GetRequiredService<SigningKeyStore>().EnsureAsync(cancellationToken);
    }

    public static IEndpointRouteBuilder MapOidcProvider(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(Endpoints.Discovery, DiscoveryEndpoint.Handle).AllowAnonymous().ExcludeFromDescription();
        endpoints.MapGet(Endpoints.OAuthMetadata, DiscoveryEndpoint.Handle).AllowAnonymous().ExcludeFromDescription();
        endpoints.MapGet(Endpoints.Jwks, JwksEndpoint.Handle).AllowAnonymous().ExcludeFromDescription();
        endpoints.MapMethods(Endpoints.Authorize, [HttpMethods.Get, HttpMethods.Post], AuthorizeEndpoint.Handle)
            .AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();
        endpoints.MapGet(Endpoints.AuthorizeContinue, (HttpContext context, string? id, AuthorizationInteraction interaction, CancellationToken cancellationToken) =>
            interaction.ContinueAsync(context, id, cancellationToken)).AllowAnonymous().ExcludeFromDescription();
        endpoints.MapPost(Endpoints.Token, TokenEndpoint.Handle)
            .AllowAnonymous().DisableAntiforgery().RequireRateLimiting(RateLimiting.Sensitive).ExcludeFromDescription();
        endpoints.MapPost(Endpoints.PushedAuthorization, PushedAuthorizationEndpoint.Handle)
            .AllowAnonymous().DisableAntiforgery().RequireRateLimiting(RateLimiting.Sensitive).ExcludeFromDescription();
        endpoints.MapPost(Endpoints.Introspection, IntrospectionEndpoint.Handle)
            .AllowAnonymous().DisableAntiforgery().RequireRateLimiting(RateLimiting.Sensitive).ExcludeFromDescription();
        endpoints.MapPost(Endpoints.Revocation, RevocationEndpoint.Handle)
            .AllowAnonymous().DisableAntiforgery().RequireRateLimiting(RateLimiting.Sensitive).ExcludeFromDescription();
        endpoints.MapGet(Endpoints.Grants + "/{grantId}", GrantManagement.GrantManagementEndpoint.QueryAsync)
            .AllowAnonymous().RequireRateLimiting(RateLimiting.Sensitive).ExcludeFromDescription();
        endpoints.MapDelete(Endpoints.Grants + "/{grantId}", GrantManagement.GrantManagementEndpoint.RevokeAsync)
            .AllowAnonymous().DisableAntiforgery().RequireRateLimiting(RateLimiting.Sensitive).ExcludeFromDescription();
        endpoints.MapMethods(Endpoints.UserInfo, [HttpMethods.Get, HttpMethods.Post], UserInfoEndpoint.Handle)
            .AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();
        return endpoints;
    }
}

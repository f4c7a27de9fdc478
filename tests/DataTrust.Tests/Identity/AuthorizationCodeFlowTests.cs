using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using DataTrust.Accounts;
using DataTrust.Identity.Clients;
using DataTrust.Identity.Storage;
using DataTrust.Persistence;
using DataTrust.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace DataTrust.Tests.Identity;

/// <summary>
/// The authorization code flow end to end, and the RFC 9700 rules around it: each refusal is checked
/// for its exact OAuth error and for leaving no token behind.
/// </summary>
public abstract class AuthorizationCodeFlowTests(StorageProvider provider) : IDisposable
{
    private readonly OidcFactory _factory = new(provider);

    public void Dispose() => _factory.Dispose();

    private HttpClient Http() => _factory.CreateClient(new() { AllowAutoRedirect = false });

    private Task<HttpClient> ResidentAsync() => _factory.CreateClientAsync(Roles.Resident);

    private async Task<(string Code, string Verifier)> CodeAsync(string clientId = "demo-business", string scope = "openid profile email offline_access", HttpClient? browser = null)
    {
        browser ??= await ResidentAsync();
        var (verifier, challenge) = Oidc.NewPkce();
        var response = await Oidc.AuthorizeAsync(browser, Oidc.AuthorizeQuery(clientId, challenge, scope));
        return (Oidc.Code(response), verifier);
    }

    private static Dictionary<string, string> CodeForm(string code, string verifier, string? clientId = null)
    {
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = Oidc.RedirectUri,
            ["code_verifier"] = verifier,
        };
        if (clientId is not null)
        {
            form["client_id"] = clientId;
        }

        return form;
    }

    private static Task<HttpResponseMessage> RedeemAsync(HttpClient http, Dictionary<string, string> form) =>
        http.SendAsync(Oidc.TokenRequest(form, "demo-business", Oidc.BusinessSecret));

    private static async Task<bool> IntrospectActiveAsync(HttpClient http, string token)
    {
        var body = await Oidc.Json(await http.SendAsync(Oidc.TokenRequest(new() { ["token"] = token }, "demo-business", Oidc.BusinessSecret, "/connect/introspect")));
        return body.GetProperty("active").GetBoolean();
    }

    [Fact]
    public async Task The_code_flow_issues_tokens_whose_ID_token_validates_with_Microsoft_IdentityModel_against_discovery()
    {
        var (code, verifier) = await CodeAsync();
        using var http = Http();

        var response = await RedeemAsync(http, CodeForm(code, verifier));

        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var body = await Oidc.Json(response);
        var accessToken = body.GetProperty("access_token").GetString()!;
        body.GetProperty("refresh_token").GetString().ShouldNotBeNullOrEmpty();
        body.GetProperty("scope").GetString().ShouldBe("openid profile email offline_access");

        var configuration = await new ConfigurationManager<OpenIdConnectConfiguration>(
            Oidc.Issuer + "/.well-known/openid-configuration",
            new OpenIdConnectConfigurationRetriever(),
            new HttpDocumentRetriever(_factory.CreateClient()) { RequireHttps = false }).GetConfigurationAsync(CancellationToken.None);
        configuration.Issuer.ShouldBe(Oidc.Issuer);
        configuration.SigningKeys.Count.ShouldBeGreaterThanOrEqualTo(2);
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(body.GetProperty("id_token").GetString(), new TokenValidationParameters
        {
            ValidIssuer = configuration.Issuer,
            ValidAudience = "demo-business",
            IssuerSigningKeys = configuration.SigningKeys,
        });
        result.IsValid.ShouldBeTrue(result.Exception?.Message);
        var idToken = (JsonWebToken)result.SecurityToken;
        idToken.Alg.ShouldBe("ES256");
        idToken.GetClaim("nonce").Value.ShouldBe("n-1");
        idToken.GetClaim("sid").Value.ShouldNotBeNullOrEmpty();
        idToken.TryGetPayloadValue<long>("auth_time", out _).ShouldBeTrue();
        idToken.GetClaim("at_hash").Value.ShouldBe(Base64UrlEncoder.Encode(SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(accessToken))[..16]));
        await using (var db = _factory.NewDbContext())
        {
            var account = await db.Users.SingleAsync(u => u.Email == "hanako@example.jp");
            idToken.Subject.ShouldNotContain(account.Id.ToString(), Case.Insensitive); // pairwise, not the account id
            idToken.Subject.Length.ShouldBe(43);
        }

        using var userInfoRequest = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo");
        userInfoRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        var userInfo = await Oidc.Json(await http.SendAsync(userInfoRequest));
        userInfo.GetProperty("sub").GetString().ShouldBe(idToken.Subject);
        userInfo.GetProperty("email").GetString().ShouldBe("hanako@example.jp");
        userInfo.GetProperty("email_verified").GetBoolean().ShouldBeTrue();
        userInfo.GetProperty("name").GetString().ShouldBe("山田 花子");
        _factory.Logs.All.ShouldNotContain(code);
        _factory.Logs.All.ShouldNotContain("hanako@example.jp");
    }

    [Fact]
    public async Task Consent_is_asked_once_then_remembered_for_the_same_client_and_scopes()
    {
        var browser = await ResidentAsync();
        await CodeAsync(browser: browser);
        var (_, challenge) = Oidc.NewPkce();

        var second = await browser.GetAsync("/connect/authorize?" + Oidc.Query(Oidc.AuthorizeQuery("demo-business", challenge)));

        Oidc.Code(second);
        await using var db = _factory.NewDbContext();
        (await db.Set<Grant>().CountAsync()).ShouldBe(1);
        var decisions = await db.Set<DataTrust.Audit.Storage.AuditEntry>().AsNoTracking()
            .Where(e => e.Action == "consent.client_access_decided").ToListAsync();
        decisions.ShouldHaveSingleItem("a remembered consent is not asked, nor recorded, again");
        decisions[0].Recipient.ShouldBe("demo-business");
        decisions[0].Consent.ShouldBe((await db.Set<Grant>().SingleAsync()).Id.ToString("D"));
        decisions[0].Details.ShouldContain("allowed");
    }

    [Fact]
    public async Task Pairwise_subjects_differ_between_sectors_and_match_within_one()
    {
        await Oidc.AddClientAsync(_factory, new Client
        {
            ClientId = "other-sector",
            DisplayName = "Other",
            Kind = ClientKind.BusinessRecipient,
            TokenEndpointAuthMethod = "none",
            RedirectUris = [Oidc.RedirectUri],
            GrantTypes = ["authorization_code"],
            SectorIdentifier = "transport.example.jp",
        });
        var browser = await ResidentAsync();
        using var http = Http();
        async Task<string> SubjectAsync(string clientId, bool confidential)
        {
            var (code, verifier) = await CodeAsync(clientId, "openid", browser);
            var response = confidential
                ? await RedeemAsync(http, CodeForm(code, verifier))
                : await http.SendAsync(Oidc.TokenRequest(CodeForm(code, verifier, clientId)));
            return new JsonWebToken((await Oidc.Json(response)).GetProperty("id_token").GetString()).Subject;
        }

        var business = await SubjectAsync("demo-business", confidential: true);
        var cityApp = await SubjectAsync("demo-city-app", confidential: false);
        var other = await SubjectAsync("other-sector", confidential: false);

        cityApp.ShouldBe(business); // same redirect host: one sector
        other.ShouldNotBe(business);
    }

    [Fact]
    public async Task A_client_that_registered_RS256_gets_RS256_ID_tokens_that_verify_against_the_JWK_Set()
    {
        await Oidc.AddClientAsync(_factory, new Client
        {
            ClientId = "rs256-app",
            DisplayName = "RS256 app",
            Kind = ClientKind.ResidentApp,
            TokenEndpointAuthMethod = "none",
            RedirectUris = [Oidc.RedirectUri],
            GrantTypes = ["authorization_code"],
            IdTokenSignedResponseAlg = "RS256",
        });
        var (code, verifier) = await CodeAsync("rs256-app", "openid");
        using var http = Http();

        var tokens = await Oidc.Json(await http.SendAsync(Oidc.TokenRequest(CodeForm(code, verifier, "rs256-app"))));

        var idToken = tokens.GetProperty("id_token").GetString()!;
        new JsonWebToken(idToken).Alg.ShouldBe("RS256");
        var jwks = new JsonWebKeySet(await http.GetStringAsync("/.well-known/jwks.json"));
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(idToken, new TokenValidationParameters
        {
            ValidIssuer = Oidc.Issuer,
            ValidAudience = "rs256-app",
            IssuerSigningKeys = jwks.GetSigningKeys(),
        });
        result.IsValid.ShouldBeTrue(result.Exception?.Message);
        tokens.TryGetProperty("refresh_token", out _).ShouldBeFalse("not registered for refresh tokens");
    }

    [Fact]
    public async Task A_second_use_of_a_code_is_invalid_grant_and_revokes_what_the_first_use_issued()
    {
        var (code, verifier) = await CodeAsync();
        using var http = Http();
        var first = await Oidc.Json(await RedeemAsync(http, CodeForm(code, verifier)));
        var accessToken = first.GetProperty("access_token").GetString()!;
        (await IntrospectActiveAsync(http, accessToken)).ShouldBeTrue();

        var second = await RedeemAsync(http, CodeForm(code, verifier));

        await Oidc.ShouldBeOAuthError(second, "invalid_grant");
        (await Oidc.AccessTokenCount(_factory)).ShouldBe(1);
        (await IntrospectActiveAsync(http, accessToken)).ShouldBeFalse();
        var refresh = await http.SendAsync(Oidc.TokenRequest(
            new() { ["grant_type"] = "refresh_token", ["refresh_token"] = first.GetProperty("refresh_token").GetString()! }, "demo-business", Oidc.BusinessSecret));
        await Oidc.ShouldBeOAuthError(refresh, "invalid_grant");
        (await Oidc.AccessTokenCount(_factory)).ShouldBe(1);
        await using var db = _factory.NewDbContext();
        var grant = await db.Set<Grant>().SingleAsync();
        var entries = await Oidc.TokenAuditAsync(_factory);
        entries.Select(e => e.Action).ShouldBe(["token.issued", "token.code_replayed"], "one entry per issuance and one per replay; the refused refresh records nothing");
        entries.ShouldAllBe(e => e.ActorType == "client" && e.ActorId == "demo-business" && e.Recipient == "demo-business" && e.Consent == grant.Id.ToString("D"));
        entries[0].Details.ShouldBe("""{"grant_type":"authorization_code"}""");
        entries[1].Details.ShouldBe("""{"grant_revoked":true}""");
        entries[0].Subject.ShouldNotBeNull();
        entries[0].Subject.ShouldBe(entries[1].Subject);
        entries[0].Subject!.ShouldNotContain(grant.UserId.ToString("D"), Case.Insensitive, "residents appear under a pseudonym");
        string.Concat(entries.Select(e => e.Details + e.Objects)).ShouldNotContain(accessToken[..20]);
    }

    [Fact]
    public async Task A_third_use_of_a_code_is_recorded_as_a_replay_that_found_the_grant_already_revoked()
    {
        var (code, verifier) = await CodeAsync();
        using var http = Http();
        (await RedeemAsync(http, CodeForm(code, verifier))).StatusCode.ShouldBe(HttpStatusCode.OK);
        await Oidc.ShouldBeOAuthError(await RedeemAsync(http, CodeForm(code, verifier)), "invalid_grant");

        await Oidc.ShouldBeOAuthError(await RedeemAsync(http, CodeForm(code, verifier)), "invalid_grant");

        var replays = (await Oidc.TokenAuditAsync(_factory)).Where(e => e.Action == "token.code_replayed").Select(e => e.Details).ToList();
        replays.ShouldBe(["""{"grant_revoked":true}""", """{"grant_revoked":false}"""]);
        (await Oidc.AccessTokenCount(_factory)).ShouldBe(1);
    }

    [Fact]
    public async Task A_missing_code_verifier_is_invalid_grant_and_issues_nothing()
    {
        var (code, _) = await CodeAsync();
        using var http = Http();
        var form = CodeForm(code, "unused");
        form.Remove("code_verifier");

        await Oidc.ShouldBeOAuthError(await RedeemAsync(http, form), "invalid_grant");
        (await Oidc.AccessTokenCount(_factory)).ShouldBe(0);
    }

    [Fact]
    public async Task A_wrong_code_verifier_is_invalid_grant_and_issues_nothing()
    {
        var (code, _) = await CodeAsync();
        using var http = Http();

        await Oidc.ShouldBeOAuthError(await RedeemAsync(http, CodeForm(code, Oidc.NewPkce().Verifier)), "invalid_grant");
        (await Oidc.AccessTokenCount(_factory)).ShouldBe(0);
    }

    [Fact]
    public async Task A_code_past_its_60_seconds_is_invalid_grant()
    {
        var (code, verifier) = await CodeAsync();
        _factory.Clock.Advance(TimeSpan.FromSeconds(61));
        using var http = Http();

        await Oidc.ShouldBeOAuthError(await RedeemAsync(http, CodeForm(code, verifier)), "invalid_grant");
        (await Oidc.AccessTokenCount(_factory)).ShouldBe(0);
    }

    [Fact]
    public async Task A_code_presented_by_another_client_is_invalid_grant()
    {
        var (code, verifier) = await CodeAsync("demo-city-app", "openid");
        using var http = Http();

        await Oidc.ShouldBeOAuthError(await RedeemAsync(http, CodeForm(code, verifier)), "invalid_grant");
        (await Oidc.AccessTokenCount(_factory)).ShouldBe(0);
    }

    [Fact]
    public async Task A_different_redirect_uri_at_the_token_endpoint_is_invalid_grant()
    {
        var (code, verifier) = await CodeAsync();
        using var http = Http();
        var form = CodeForm(code, verifier);
        form["redirect_uri"] = Oidc.RedirectUri + "/";

        await Oidc.ShouldBeOAuthError(await RedeemAsync(http, form), "invalid_grant");
        (await Oidc.AccessTokenCount(_factory)).ShouldBe(0);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8400/callback/")]
    [InlineData("http://127.0.0.1:8400/Callback")]
    [InlineData("HTTP://127.0.0.1:8400/callback")]
    [InlineData("http://localhost:8400/callback")]
    [InlineData("http://127.0.0.1:8400/callback?extra=1")]
    [InlineData("http://127.0.0.1:8400/callback#fragment")]
    [InlineData("http://127.0.0.1:8401/callback")]
    [InlineData("https://127.0.0.1:8400/callback")]
    [InlineData("https://attacker.example/callback")]
    public async Task A_redirect_uri_that_is_not_exactly_registered_is_never_redirected_to(string redirectUri)
    {
        var browser = await ResidentAsync();
        var query = Oidc.AuthorizeQuery("demo-business", Oidc.NewPkce().Challenge);
        query["redirect_uri"] = redirectUri;

        var response = await browser.GetAsync("/connect/authorize?" + Oidc.Query(query));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        response.Headers.Location.ShouldBeNull();
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        await using var db = _factory.NewDbContext();
        (await db.Set<AuthorizationCode>().CountAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task An_unknown_client_id_is_shown_on_a_page_not_redirected()
    {
        var browser = await ResidentAsync();

        var response = await browser.GetAsync("/connect/authorize?" + Oidc.Query(Oidc.AuthorizeQuery("no-such-client", Oidc.NewPkce().Challenge)));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        response.Headers.Location.ShouldBeNull();
    }

    [Theory]
    [InlineData("token", "unsupported_response_type")]
    [InlineData("id_token", "unsupported_response_type")]
    [InlineData("code id_token", "unsupported_response_type")]
    [InlineData("code token", "unsupported_response_type")]
    public async Task Implicit_and_hybrid_response_types_are_refused_to_the_client(string responseType, string error)
    {
        var browser = await ResidentAsync();
        var query = Oidc.AuthorizeQuery("demo-business", Oidc.NewPkce().Challenge);
        query["response_type"] = responseType;

        var response = await Oidc.AuthorizeAsync(browser, query);

        AssertRedirectedError(response, error);
    }

    [Fact]
    public async Task PKCE_plain_is_refused()
    {
        var browser = await ResidentAsync();
        var query = Oidc.AuthorizeQuery("demo-business", Oidc.NewPkce().Verifier);
        query["code_challenge_method"] = "plain";

        AssertRedirectedError(await Oidc.AuthorizeAsync(browser, query), "invalid_request");
    }

    [Fact]
    public async Task A_missing_code_challenge_method_means_plain_and_is_refused()
    {
        var browser = await ResidentAsync();
        var query = Oidc.AuthorizeQuery("demo-business", Oidc.NewPkce().Challenge);
        query.Remove("code_challenge_method");

        AssertRedirectedError(await Oidc.AuthorizeAsync(browser, query), "invalid_request");
    }

    [Fact]
    public async Task A_request_without_PKCE_is_refused_even_for_a_confidential_client()
    {
        var browser = await ResidentAsync();
        var query = Oidc.AuthorizeQuery("demo-business", "x");
        query.Remove("code_challenge");
        query.Remove("code_challenge_method");

        AssertRedirectedError(await Oidc.AuthorizeAsync(browser, query), "invalid_request");
    }

    [Fact]
    public async Task An_unknown_scope_is_invalid_scope()
    {
        var browser = await ResidentAsync();

        AssertRedirectedError(await Oidc.AuthorizeAsync(browser, Oidc.AuthorizeQuery("demo-business", Oidc.NewPkce().Challenge, "openid admin")), "invalid_scope");
    }

    [Fact]
    public async Task Prompt_none_without_a_session_is_login_required()
    {
        using var browser = _factory.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = true });
        var query = Oidc.AuthorizeQuery("demo-business", Oidc.NewPkce().Challenge);
        query["prompt"] = "none";

        AssertRedirectedError(await Oidc.AuthorizeAsync(browser, query), "login_required");
    }

    [Fact]
    public async Task Prompt_none_without_consent_is_consent_required()
    {
        var browser = await ResidentAsync();
        var query = Oidc.AuthorizeQuery("demo-business", Oidc.NewPkce().Challenge);
        query["prompt"] = "none";

        AssertRedirectedError(await Oidc.AuthorizeAsync(browser, query), "consent_required");
    }

    [Fact]
    public async Task Without_a_session_the_resident_is_sent_to_sign_in_with_login_hint_and_ui_locales_and_comes_back()
    {
        using var browser = _factory.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = true });
        var query = Oidc.AuthorizeQuery("demo-business", Oidc.NewPkce().Challenge);
        query["login_hint"] = "hanako@example.jp";
        query["ui_locales"] = "en";

        var response = await browser.GetAsync("/connect/authorize?" + Oidc.Query(query));

        response.StatusCode.ShouldBe(HttpStatusCode.SeeOther);
        var login = response.Headers.Location!.OriginalString;
        login.ShouldStartWith("/account/login?returnUrl=");
        login.ShouldContain("login_hint=hanako%40example.jp");
        login.ShouldContain("ui_locales=en");
        var page = await browser.GetStringAsync(login);
        page.ShouldContain("Sign in");
        page.ShouldContain("hanako@example.jp");
        var returnUrl = Oidc.Parameters(new Uri("http://localhost" + login))["returnUrl"];
        var signedIn = await SignIn.PostLoginAsync(browser, "hanako@example.jp", "DataTrust-demo-2026", returnUrl);
        Oidc.Code(await Oidc.FollowAsync(browser, signedIn));
    }

    [Fact]
    public async Task Prompt_login_makes_a_signed_in_resident_authenticate_again()
    {
        var browser = await ResidentAsync();
        var query = Oidc.AuthorizeQuery("demo-business", Oidc.NewPkce().Challenge);
        query["prompt"] = "login";

        var response = await browser.GetAsync("/connect/authorize?" + Oidc.Query(query));

        response.StatusCode.ShouldBe(HttpStatusCode.SeeOther);
        response.Headers.Location!.OriginalString.ShouldStartWith("/account/login");
    }

    [Fact]
    public async Task Max_age_older_than_the_session_asks_for_sign_in_again()
    {
        var browser = await ResidentAsync();
        _factory.Clock.Advance(TimeSpan.FromSeconds(120));
        var query = Oidc.AuthorizeQuery("demo-business", Oidc.NewPkce().Challenge);
        query["max_age"] = "60";

        var response = await browser.GetAsync("/connect/authorize?" + Oidc.Query(query));

        response.Headers.Location!.OriginalString.ShouldStartWith("/account/login");
    }

    [Fact]
    public async Task Max_age_zero_asks_for_sign_in_once_and_then_issues_the_code()
    {
        var browser = await ResidentAsync();
        await CodeAsync(browser: browser); // consent given
        _factory.Clock.Advance(TimeSpan.FromSeconds(1));
        var query = Oidc.AuthorizeQuery("demo-business", Oidc.NewPkce().Challenge);
        query["max_age"] = "0";

        var toLogin = await browser.GetAsync("/connect/authorize?" + Oidc.Query(query));
        var login = toLogin.Headers.Location!.OriginalString;
        login.ShouldStartWith("/account/login");
        _factory.Clock.Advance(TimeSpan.FromSeconds(1));
        var signedIn = await SignIn.PostLoginAsync(browser, "hanako@example.jp", "DataTrust-demo-2026", Oidc.Parameters(new Uri("http://localhost" + login))["returnUrl"]);

        Oidc.Code(await Oidc.FollowAsync(browser, signedIn));
    }

    [Fact]
    public async Task Denying_consent_sends_access_denied_and_remembers_nothing()
    {
        var browser = await ResidentAsync();
        var response = await Oidc.AuthorizeAsync(browser, Oidc.AuthorizeQuery("demo-business", Oidc.NewPkce().Challenge), allowConsent: false);
        var consentPath = response.Headers.Location!.OriginalString;
        var page = await browser.GetStringAsync(consentPath);
        page.ShouldContain("デモ事業者");
        page.ShouldContain("メールアドレス");

        var denied = await Oidc.DecideConsentAsync(browser, consentPath, "deny");

        AssertRedirectedError(denied, "access_denied");
        await using var db = _factory.NewDbContext();
        (await db.Set<Grant>().CountAsync()).ShouldBe(0);
        var decision = (await db.Set<DataTrust.Audit.Storage.AuditEntry>().AsNoTracking()
            .Where(e => e.Action == "consent.client_access_decided").ToListAsync()).ShouldHaveSingleItem();
        decision.Details.ShouldContain("declined");
        decision.Consent.ShouldBeNull();
    }

    [Fact]
    public async Task Switching_the_language_on_the_consent_page_keeps_the_request()
    {
        var browser = await ResidentAsync();
        var response = await Oidc.AuthorizeAsync(browser, Oidc.AuthorizeQuery("demo-business", Oidc.NewPkce().Challenge), allowConsent: false);
        var consentPath = response.Headers.Location!.OriginalString;
        var page = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await browser.GetStringAsync(consentPath));
        var toEnglish = page.QuerySelector("a[hreflang=en]")!.GetAttribute("href")!;

        var switched = await browser.GetAsync(toEnglish);
        var back = switched.Headers.Location!.OriginalString;
        var english = await browser.GetStringAsync(back);

        back.ShouldBe(consentPath);
        english.ShouldContain("Allow");
        english.ShouldContain("Your e-mail address");
    }

    [Fact]
    public async Task A_consent_post_without_the_anti_forgery_token_is_refused()
    {
        var browser = await ResidentAsync();
        var response = await Oidc.AuthorizeAsync(browser, Oidc.AuthorizeQuery("demo-business", Oidc.NewPkce().Challenge), allowConsent: false);
        var consentPath = response.Headers.Location!.OriginalString;
        var id = Oidc.Parameters(new Uri("http://localhost" + consentPath))["id"];

        var forged = await browser.PostAsync(consentPath, new FormUrlEncodedContent(new Dictionary<string, string> { ["Id"] = id, ["decision"] = "allow" }));

        forged.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        await using var db = _factory.NewDbContext();
        (await db.Set<Grant>().CountAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task A_public_clients_refresh_token_rotates_and_its_reuse_revokes_the_grant()
    {
        var (code, verifier) = await CodeAsync("demo-city-app");
        using var http = Http();
        var tokens = await Oidc.Json(await http.SendAsync(Oidc.TokenRequest(CodeForm(code, verifier, "demo-city-app"))));
        var firstRefresh = tokens.GetProperty("refresh_token").GetString()!;
        Dictionary<string, string> RefreshForm(string token) => new() { ["grant_type"] = "refresh_token", ["refresh_token"] = token, ["client_id"] = "demo-city-app" };

        var rotated = await http.SendAsync(Oidc.TokenRequest(RefreshForm(firstRefresh)));
        rotated.StatusCode.ShouldBe(HttpStatusCode.OK, await rotated.Content.ReadAsStringAsync());
        var secondRefresh = (await Oidc.Json(rotated)).GetProperty("refresh_token").GetString()!;
        secondRefresh.ShouldNotBe(firstRefresh);
        var issuedBefore = await Oidc.AccessTokenCount(_factory);

        var reuse = await http.SendAsync(Oidc.TokenRequest(RefreshForm(firstRefresh)));
        var afterReuse = await http.SendAsync(Oidc.TokenRequest(RefreshForm(secondRefresh)));

        await Oidc.ShouldBeOAuthError(reuse, "invalid_grant");
        await Oidc.ShouldBeOAuthError(afterReuse, "invalid_grant");
        (await Oidc.AccessTokenCount(_factory)).ShouldBe(issuedBefore);
        await using var db = _factory.NewDbContext();
        (await db.Set<Grant>().SingleAsync()).Status.ShouldBe(GrantStatus.Revoked);
        var entries = await Oidc.TokenAuditAsync(_factory);
        entries.Select(e => e.Action + " " + e.Details).ShouldBe([
            """token.issued {"grant_type":"authorization_code"}""",
            """token.issued {"grant_type":"refresh_token"}""",
            """token.refresh_token_reused {"grant_revoked":true}""",
        ]);
        entries.ShouldAllBe(e => e.Recipient == "demo-city-app" && e.Subject != null);
    }

    [Fact]
    public async Task A_confidential_clients_refresh_token_is_bound_to_its_client_and_may_only_narrow_scopes()
    {
        var (code, verifier) = await CodeAsync();
        using var http = Http();
        var refreshToken = (await Oidc.Json(await RedeemAsync(http, CodeForm(code, verifier)))).GetProperty("refresh_token").GetString()!;

        var asOtherClient = await http.SendAsync(Oidc.TokenRequest(
            new() { ["grant_type"] = "refresh_token", ["refresh_token"] = refreshToken, ["client_id"] = "demo-city-app" }));
        var wider = await RedeemAsync(http, new() { ["grant_type"] = "refresh_token", ["refresh_token"] = refreshToken, ["scope"] = "openid vault.read" });
        var narrower = await RedeemAsync(http, new() { ["grant_type"] = "refresh_token", ["refresh_token"] = refreshToken, ["scope"] = "openid" });

        await Oidc.ShouldBeOAuthError(asOtherClient, "invalid_grant");
        await Oidc.ShouldBeOAuthError(wider, "invalid_scope");
        narrower.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await Oidc.Json(narrower)).GetProperty("scope").GetString().ShouldBe("openid");
    }

    [Fact]
    public async Task Revoking_a_refresh_token_also_revokes_the_access_tokens_of_its_grant()
    {
        var (code, verifier) = await CodeAsync();
        using var http = Http();
        var tokens = await Oidc.Json(await RedeemAsync(http, CodeForm(code, verifier)));

        var revoke = await http.SendAsync(Oidc.TokenRequest(
            new() { ["token"] = tokens.GetProperty("refresh_token").GetString()!, ["token_type_hint"] = "refresh_token" }, "demo-business", Oidc.BusinessSecret, "/connect/revoke"));

        revoke.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await IntrospectActiveAsync(http, tokens.GetProperty("access_token").GetString()!)).ShouldBeFalse();
        (await IntrospectActiveAsync(http, tokens.GetProperty("refresh_token").GetString()!)).ShouldBeFalse();
    }

    [Fact]
    public async Task Userinfo_without_a_token_challenges_and_with_a_bad_one_says_invalid_token()
    {
        using var http = Http();

        var none = await http.GetAsync("/connect/userinfo");
        using var bad = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo");
        bad.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "abc.def.ghi");
        var invalid = await http.SendAsync(bad);

        none.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        none.Headers.WwwAuthenticate.ToString().ShouldContain("Bearer realm=\"DataTrust\"");
        none.Headers.WwwAuthenticate.ToString().ShouldNotContain("error=");
        invalid.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        invalid.Headers.WwwAuthenticate.ToString().ShouldContain("error=\"invalid_token\"");
    }

    [Fact]
    public async Task Pushed_requests_are_used_once_and_required_for_high_assurance_clients()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await Oidc.AddClientAsync(_factory, new Client
        {
            ClientId = "fapi-client",
            DisplayName = "FAPI client",
            Kind = ClientKind.BusinessRecipient,
            TokenEndpointAuthMethod = "private_key_jwt",
            Jwks = Oidc.PublicJwks(key),
            RedirectUris = [Oidc.RedirectUri],
            GrantTypes = ["authorization_code"],
            HighAssurance = true,
        });
        var browser = await ResidentAsync();
        var (verifier, challenge) = Oidc.NewPkce();

        var withoutPar = await Oidc.AuthorizeAsync(browser, Oidc.AuthorizeQuery("fapi-client", challenge, "openid"));
        AssertRedirectedError(withoutPar, "invalid_request");

        using var http = Http();
        var pushForm = Oidc.AuthorizeQuery("fapi-client", challenge, "openid");
        pushForm["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
        pushForm["client_assertion"] = Oidc.ClientAssertion(key, "fapi-client", Oidc.Issuer);
        var pushed = await http.SendAsync(Oidc.TokenRequest(pushForm, path: "/connect/par"));
        pushed.StatusCode.ShouldBe(HttpStatusCode.Created, await pushed.Content.ReadAsStringAsync());
        var body = await Oidc.Json(pushed);
        var requestUri = body.GetProperty("request_uri").GetString()!;
        requestUri.ShouldStartWith("urn:ietf:params:oauth:request_uri:");
        body.GetProperty("expires_in").GetInt32().ShouldBe(60);

        var parQuery = new Dictionary<string, string> { ["client_id"] = "fapi-client", ["request_uri"] = requestUri };
        var code = Oidc.Code(await Oidc.AuthorizeAsync(browser, parQuery));
        var again = await browser.GetAsync("/connect/authorize?" + Oidc.Query(parQuery));
        again.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        again.Headers.Location.ShouldBeNull();

        using var dpopKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var tokenForm = CodeForm(code, verifier);
        tokenForm["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
        tokenForm["client_assertion"] = Oidc.ClientAssertion(key, "fapi-client", Oidc.Issuer + "/connect/token");
        var withoutDpop = await http.SendAsync(Oidc.TokenRequest(tokenForm));
        await Oidc.ShouldBeOAuthError(withoutDpop, "invalid_dpop_proof");
        (await Oidc.AccessTokenCount(_factory)).ShouldBe(0);
    }

    [Fact]
    public async Task A_request_uri_that_expired_or_belongs_to_another_client_is_shown_on_a_page()
    {
        var browser = await ResidentAsync();
        using var http = Http();
        var pushed = await http.SendAsync(Oidc.TokenRequest(Oidc.AuthorizeQuery("demo-business", Oidc.NewPkce().Challenge), "demo-business", Oidc.BusinessSecret, "/connect/par"));
        var requestUri = (await Oidc.Json(pushed)).GetProperty("request_uri").GetString()!;

        var foreign = await browser.GetAsync("/connect/authorize?" + Oidc.Query(new Dictionary<string, string> { ["client_id"] = "demo-city-app", ["request_uri"] = requestUri }));
        _factory.Clock.Advance(TimeSpan.FromSeconds(61));
        var expired = await browser.GetAsync("/connect/authorize?" + Oidc.Query(new Dictionary<string, string> { ["client_id"] = "demo-business", ["request_uri"] = requestUri }));

        foreach (var response in new[] { foreign, expired })
        {
            response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
            response.Headers.Location.ShouldBeNull();
        }
    }

    [Fact]
    public async Task PAR_refuses_a_nested_request_uri_a_bad_client_and_a_dpop_jkt_that_differs_from_the_proof()
    {
        using var http = Http();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var nested = Oidc.AuthorizeQuery("demo-business", Oidc.NewPkce().Challenge);
        nested["request_uri"] = "urn:ietf:params:oauth:request_uri:abc";
        await Oidc.ShouldBeOAuthError(await http.SendAsync(Oidc.TokenRequest(nested, "demo-business", Oidc.BusinessSecret, "/connect/par")), "invalid_request");

        var badSecret = await http.SendAsync(Oidc.TokenRequest(Oidc.AuthorizeQuery("demo-business", Oidc.NewPkce().Challenge), "demo-business", "wrong", "/connect/par"));
        await Oidc.ShouldBeOAuthError(badSecret, "invalid_client", HttpStatusCode.Unauthorized);

        var mismatched = Oidc.AuthorizeQuery("demo-business", Oidc.NewPkce().Challenge);
        mismatched["dpop_jkt"] = Oidc.Thumbprint(otherKey);
        var request = Oidc.TokenRequest(mismatched, "demo-business", Oidc.BusinessSecret, "/connect/par");
        request.Headers.Add("DPoP", Oidc.DPoPProof(key, "POST", Oidc.Issuer + "/connect/par"));
        await Oidc.ShouldBeOAuthError(await http.SendAsync(request), "invalid_dpop_proof");

        var plain = Oidc.AuthorizeQuery("demo-business", Oidc.NewPkce().Verifier);
        plain["code_challenge_method"] = "plain";
        await Oidc.ShouldBeOAuthError(await http.SendAsync(Oidc.TokenRequest(plain, "demo-business", Oidc.BusinessSecret, "/connect/par")), "invalid_request");

        await using var db = _factory.NewDbContext();
        (await db.Set<AuthorizationRequest>().CountAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task A_code_bound_by_dpop_jkt_is_redeemed_only_with_that_key()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var browser = await ResidentAsync();
        var (verifier, challenge) = Oidc.NewPkce();
        var query = Oidc.AuthorizeQuery("demo-city-app", challenge, "openid");
        query["dpop_jkt"] = Oidc.Thumbprint(key);
        var code = Oidc.Code(await Oidc.AuthorizeAsync(browser, query));
        using var http = Http();

        var withOtherKey = Oidc.TokenRequest(CodeForm(code, verifier, "demo-city-app"));
        withOtherKey.Headers.Add("DPoP", Oidc.DPoPProof(otherKey, "POST", Oidc.Issuer + "/connect/token"));
        await Oidc.ShouldBeOAuthError(await http.SendAsync(withOtherKey), "invalid_dpop_proof");
        (await Oidc.AccessTokenCount(_factory)).ShouldBe(0);

        var withKey = Oidc.TokenRequest(CodeForm(code, verifier, "demo-city-app"));
        withKey.Headers.Add("DPoP", Oidc.DPoPProof(key, "POST", Oidc.Issuer + "/connect/token"));
        (await http.SendAsync(withKey)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task DPoP_binds_tokens_to_the_key_and_userinfo_requires_a_matching_proof()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var (code, verifier) = await CodeAsync("demo-city-app");
        using var http = Http();
        var tokenRequest = Oidc.TokenRequest(CodeForm(code, verifier, "demo-city-app"));
        var proof = Oidc.DPoPProof(key, "POST", Oidc.Issuer + "/connect/token");
        tokenRequest.Headers.Add("DPoP", proof);

        var response = await http.SendAsync(tokenRequest);

        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var tokens = await Oidc.Json(response);
        tokens.GetProperty("token_type").GetString().ShouldBe("DPoP");
        var accessToken = tokens.GetProperty("access_token").GetString()!;
        var cnf = new JsonWebToken(accessToken).GetPayloadValue<System.Text.Json.JsonElement>("cnf");
        cnf.GetProperty("jkt").GetString().ShouldBe(Oidc.Thumbprint(key));

        using var asBearer = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo");
        asBearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        (await http.SendAsync(asBearer)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        using var withoutProof = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo");
        withoutProof.Headers.Authorization = new AuthenticationHeaderValue("DPoP", accessToken);
        var refused = await http.SendAsync(withoutProof);
        refused.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        refused.Headers.WwwAuthenticate.ToString().ShouldContain("invalid_dpop_proof");

        using var proper = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo");
        proper.Headers.Authorization = new AuthenticationHeaderValue("DPoP", accessToken);
        var userInfoProof = Oidc.DPoPProof(key, "GET", Oidc.Issuer + "/connect/userinfo", accessToken);
        proper.Headers.Add("DPoP", userInfoProof);
        (await http.SendAsync(proper)).StatusCode.ShouldBe(HttpStatusCode.OK);

        using var replayed = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo");
        replayed.Headers.Authorization = new AuthenticationHeaderValue("DPoP", accessToken);
        replayed.Headers.Add("DPoP", userInfoProof);
        (await http.SendAsync(replayed)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        // The refresh token is bound too: another key, or no proof, is refused.
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var refreshRequest = Oidc.TokenRequest(new() { ["grant_type"] = "refresh_token", ["refresh_token"] = tokens.GetProperty("refresh_token").GetString()!, ["client_id"] = "demo-city-app" });
        refreshRequest.Headers.Add("DPoP", Oidc.DPoPProof(otherKey, "POST", Oidc.Issuer + "/connect/token"));
        await Oidc.ShouldBeOAuthError(await http.SendAsync(refreshRequest), "invalid_dpop_proof");
    }

    [Fact]
    public async Task A_replayed_DPoP_proof_at_the_token_endpoint_is_invalid_dpop_proof_and_issues_nothing()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var http = Http();
        var proof = Oidc.DPoPProof(key, "POST", Oidc.Issuer + "/connect/token");
        HttpRequestMessage Request()
        {
            var request = Oidc.TokenRequest(new() { ["grant_type"] = "client_credentials" }, "demo-business", Oidc.BusinessSecret);
            request.Headers.Add("DPoP", proof);
            return request;
        }

        var first = await http.SendAsync(Request());
        var replay = await http.SendAsync(Request());

        first.StatusCode.ShouldBe(HttpStatusCode.OK);
        await Oidc.ShouldBeOAuthError(replay, "invalid_dpop_proof");
        (await Oidc.AccessTokenCount(_factory)).ShouldBe(1);
    }

    [Theory]
    [InlineData("GET", "/connect/token")]
    [InlineData("POST", "/connect/userinfo")]
    [InlineData("POST", "/connect/token?x=1#frag")]
    public async Task A_DPoP_proof_for_another_method_or_uri_is_refused(string method, string path)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var http = Http();
        var request = Oidc.TokenRequest(new() { ["grant_type"] = "client_credentials" }, "demo-business", Oidc.BusinessSecret);
        request.Headers.Add("DPoP", Oidc.DPoPProof(key, method, Oidc.Issuer + path));

        var response = await http.SendAsync(request);

        if (path.Contains('?', StringComparison.Ordinal))
        {
            response.StatusCode.ShouldBe(HttpStatusCode.OK); // query and fragment are ignored (RFC 9449 §4.3)
        }
        else
        {
            await Oidc.ShouldBeOAuthError(response, "invalid_dpop_proof");
        }
    }

    [Fact]
    public async Task A_stale_DPoP_proof_is_refused()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var http = Http();
        var request = Oidc.TokenRequest(new() { ["grant_type"] = "client_credentials" }, "demo-business", Oidc.BusinessSecret);
        request.Headers.Add("DPoP", Oidc.DPoPProof(key, "POST", Oidc.Issuer + "/connect/token", now: _factory.Clock.GetUtcNow().AddMinutes(-5)));

        await Oidc.ShouldBeOAuthError(await http.SendAsync(request), "invalid_dpop_proof");
    }

    private static void AssertRedirectedError(HttpResponseMessage response, string error)
    {
        response.StatusCode.ShouldBe(HttpStatusCode.SeeOther);
        var location = response.Headers.Location!;
        location.ToString().ShouldStartWith(Oidc.RedirectUri + "?");
        var parameters = Oidc.Parameters(location);
        parameters["error"].ShouldBe(error);
        parameters["iss"].ShouldBe(Oidc.Issuer);
        parameters.ShouldNotContainKey("code");
    }
}

public sealed class SqliteAuthorizationCodeFlowTests() : AuthorizationCodeFlowTests(StorageProvider.Sqlite);

public sealed class PostgresAuthorizationCodeFlowTests() : AuthorizationCodeFlowTests(StorageProvider.Postgres);

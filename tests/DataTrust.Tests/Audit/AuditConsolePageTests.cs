using System.Net;
using System.Text.RegularExpressions;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;
using DataTrust.Accounts;
using DataTrust.Audit;
using DataTrust.Audit.Events;
using DataTrust.Audit.Storage;
using DataTrust.Audit.Verification;
using DataTrust.Persistence;
using DataTrust.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DataTrust.Tests.Audit;

/// <summary>
/// The auditor console, the residents' provision history and the public transparency page, read as
/// HTML: what they show comes from the audit log, and auditors' actions are recorded as the API records them.
/// </summary>
public abstract partial class AuditConsolePageTests(StorageProvider provider) : IDisposable, IAsyncLifetime
{
    private readonly DataTrustFactory _factory = new(provider);

    public void Dispose() => _factory.Dispose();

    public Task InitializeAsync() => _factory.StartWithEmptyAuditLogAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData("/audit")]
    [InlineData("/audit/verify")]
    [InlineData("/audit/checkpoints")]
    [InlineData("/audit/statistics")]
    [InlineData("/audit/export")]
    [InlineData("/audit/entries/0")]
    [InlineData("/audit/recipients/demo-business")]
    public async Task Auditor_pages_send_anonymous_visitors_to_sign_in_and_refuse_residents(string path)
    {
        var anonymous = await _factory.CreateBrowser().GetAsync(path);
        anonymous.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        anonymous.Headers.Location!.OriginalString.ShouldContain("/account/login");

        var resident = await _factory.CreateClientAsync(Roles.Resident);
        var refused = await resident.GetAsync(path);
        refused.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        refused.Headers.Location!.OriginalString.ShouldContain("/account/denied");
        (await _factory.EntriesAsync()).ShouldNotContain(e => e.Action.StartsWith("audit.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Search_filters_by_recipient_and_resident_pages_on_and_is_recorded()
    {
        var hanako = await AccountIdAsync(Roles.Resident);
        var consent = Guid.NewGuid();
        await _factory.AppendManyAsync(60, batch: 20);
        await _factory.AppendAsync(Release(hanako, consent, "demo-business", "mobility-improvement", "mobility"));
        var auditor = await _factory.CreateClientAsync(Roles.Auditor);

        var byRecipient = await PageAsync(auditor, "/audit?search=1&recipient=recipient-1&action=recipient.reviewed");
        Sequences(byRecipient).ShouldBe(Enumerable.Range(0, 60).Where(n => n % 3 == 1).Select(n => (long)n));
        byRecipient.QuerySelector(".pagination")!.TextContent.ShouldContain("これで全部です");

        var firstPage = await PageAsync(auditor, "/audit?search=1&action=recipient.reviewed");
        Sequences(firstPage).ShouldBe(Enumerable.Range(0, 50).Select(n => (long)n));
        var next = firstPage.QuerySelector(".pagination a")!.GetAttribute("href")!;
        Sequences(await PageAsync(auditor, next)).ShouldBe(Enumerable.Range(50, 10).Select(n => (long)n));

        var byResident = await PageAsync(auditor, $"/audit?search=1&resident={hanako}");
        Sequences(byResident).ShouldBe([60L]);
        byResident.QuerySelector("tbody tr")!.TextContent.ShouldContain("デモ事業者");

        var byConsent = await PageAsync(auditor, $"/audit?search=1&consent={consent}&from=2000-01-01&to=2999-12-31");
        Sequences(byConsent).ShouldBe([60L]);

        var searches = (await _factory.EntriesAsync()).Where(e => e.Action == AuditAction.AuditSearched).ToList();
        searches.Count.ShouldBe(5);
        searches.ShouldContain(e => e.Subject == _factory.Service<AuditPseudonyms>().Of(hanako));
    }

    [Fact]
    public async Task The_search_page_alone_and_bad_filters_search_nothing_and_record_nothing()
    {
        var auditor = await _factory.CreateClientAsync(Roles.Auditor);
        var before = (await _factory.EntriesAsync()).Count;

        var landing = await PageAsync(auditor, "/audit");
        landing.QuerySelector("table").ShouldBeNull();

        var bad = await PageAsync(auditor, "/audit?search=1&consent=not-a-consent&resident=hanako&from=21.11.2026");
        var summary = bad.QuerySelector(".error-summary")!;
        summary.QuerySelectorAll("a").Select(a => a.GetAttribute("href")).ShouldBe(["#from", "#consent", "#resident"]);
        bad.QuerySelector("#consent")!.GetAttribute("aria-invalid").ShouldBe("true");
        bad.QuerySelector("table").ShouldBeNull();

        (await _factory.EntriesAsync()).Count.ShouldBe(before);
    }

    [Fact]
    public async Task Entry_detail_shows_its_bytes_and_an_inclusion_proof_checked_against_the_signed_checkpoint()
    {
        await _factory.AppendManyAsync(5);
        var auditor = await _factory.CreateClientAsync(Roles.Auditor);
        var uncovered = await PageAsync(auditor, "/audit/entries/3");
        uncovered.QuerySelector("#proof + .notice").ShouldNotBeNull();

        var checkpoint = await _factory.SealAsync();
        var page = await PageAsync(auditor, "/audit/entries/3");

        page.QuerySelector(".result-ok .badge-ok")!.TextContent.ShouldBe("検証済み");
        page.QuerySelector("pre code")!.TextContent.ShouldStartWith("{\"action\":\"recipient.reviewed\"");
        page.QuerySelectorAll("dd code.hash").Select(c => c.TextContent).ShouldContain(Convert.ToHexStringLower(checkpoint.RootHash));
        page.QuerySelectorAll("table tbody tr").Length.ShouldBeGreaterThan(0);
        (await _factory.EntriesAsync()).Count(e => e.Action == AuditAction.AuditEntryViewed).ShouldBe(2);

        (await auditor.GetAsync("/audit/entries/999")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Verification_shows_ok_and_after_tampering_the_first_bad_index()
    {
        await _factory.AppendManyAsync(6);
        await _factory.SealAsync();
        var auditor = await _factory.CreateClientAsync(Roles.Auditor);

        var ok = await PostAsync(auditor, "/audit/verify", []);
        ok.QuerySelector("#result .result-ok")!.TextContent.ShouldContain("改ざんは見つかりませんでした");

        await _factory.ExecuteAsync("UPDATE audit_entries SET details = '{\"decision\":\"approved\",\"purpose\":\"forged\"}' WHERE seq = 4");
        var bad = await PostAsync(auditor, "/audit/verify", []);
        bad.QuerySelector("#result .result-bad")!.ShouldNotBeNull();
        bad.QuerySelector("#first-bad-index")!.TextContent.ShouldBe("4");

        var verifications = (await _factory.EntriesAsync()).Where(e => e.Action == AuditAction.AuditVerified).Select(e => e.Details).ToList();
        verifications.Count.ShouldBe(2);
        verifications[0].ShouldContain("\"ok\":true");
        verifications[1].ShouldContain("\"firstBadIndex\":4");
    }

    [Fact]
    public async Task A_malformed_trusted_checkpoint_is_refused_with_a_message_and_nothing_is_verified()
    {
        var auditor = await _factory.CreateClientAsync(Roles.Auditor);
        var before = (await _factory.EntriesAsync()).Count;

        var page = await PostAsync(auditor, "/audit/verify", [("trustedCheckpoint", "not a checkpoint")]);

        page.QuerySelector(".error-summary a")!.GetAttribute("href").ShouldBe("#trustedCheckpoint");
        page.QuerySelector("#result").ShouldBeNull();
        (await _factory.EntriesAsync()).Count.ShouldBe(before);
    }

    [Fact]
    public async Task Export_downloads_a_bundle_that_datatrust_audit_verify_accepts()
    {
        await _factory.AppendManyAsync(7);
        var auditor = await _factory.CreateClientAsync(Roles.Auditor);
        var token = await SignIn.AntiforgeryTokenAsync(auditor, "/audit/export");

        var response = await auditor.PostAsync("/audit/export", Browser.Form(("__RequestVerificationToken", token)));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/zip");
        var entries = await _factory.EntriesAsync();
        entries[^1].Action.ShouldBe(AuditAction.AuditExported, "the export is recorded, and its record closes the bundle");
        response.Content.Headers.ContentDisposition!.FileNameStar.ShouldBe($"datatrust-audit-{entries.Count}.zip");
        var path = Path.Combine(_factory.Database.DataDirectory, "downloaded.zip");
        await File.WriteAllBytesAsync(path, await response.Content.ReadAsByteArrayAsync());
        var (exitCode, output) = await BundleTests.RunCliAsync("audit", "verify", path);
        exitCode.ShouldBe(0, output);
    }

    [Fact]
    public async Task Statistics_count_releases_per_recipient_and_drill_down_to_its_releases()
    {
        var hanako = await AccountIdAsync(Roles.Resident);
        await _factory.AppendAsync(
            Release(hanako, Guid.NewGuid(), "demo-business", "mobility-improvement", "mobility"),
            Release(hanako, Guid.NewGuid(), "demo-business", "mobility-improvement", "mobility"),
            Release(Guid.NewGuid(), Guid.NewGuid(), "demo-city-app", "health-promotion", "health-checkup"));
        var auditor = await _factory.CreateClientAsync(Roles.Auditor);

        var statistics = await PageAsync(auditor, "/audit/statistics");
        var rows = statistics.QuerySelectorAll("table")[0].QuerySelectorAll("tbody tr").Select(r => r.TextContent.Trim()).ToList();
        rows.Count.ShouldBe(2);
        rows[0].ShouldContain("デモ事業者");
        rows[0].ShouldEndWith("2");
        statistics.QuerySelector("svg.chart title").ShouldNotBeNull();

        var link = statistics.QuerySelector("a[href='/audit/recipients/demo-business']")!.GetAttribute("href")!;
        var drill = await PageAsync(auditor, link);
        Sequences(drill).ShouldBe([0L, 1]);
        drill.QuerySelector("tbody")!.TextContent.ShouldContain("バスや乗り合いタクシー");
    }

    [Fact]
    public async Task Provision_history_shows_the_signed_in_residents_releases_only_with_names_in_both_languages()
    {
        var hanako = await AccountIdAsync(Roles.Resident);
        var taro = (await AccountIdsAsync()).Single(a => a.Email == "taro@example.jp").Id;
        var consent = Guid.NewGuid();
        await _factory.AppendAsync(
            Release(hanako, consent, "demo-business", "mobility-improvement", "mobility"),
            Release(taro, Guid.NewGuid(), "demo-city-app", "health-promotion", "health-checkup"));
        var resident = await _factory.CreateClientAsync(Roles.Resident);

        var page = await PageAsync(resident, "/resident/history");
        var row = page.QuerySelectorAll("tbody tr").ShouldHaveSingleItem();
        row.TextContent.ShouldContain("デモ事業者");
        row.TextContent.ShouldContain("バスや乗り合いタクシーをもっと便利にするため");
        row.TextContent.ShouldContain(consent.ToString());
        page.Body!.TextContent.ShouldNotContain("デモ市民アプリ");

        resident.DefaultRequestHeaders.Add("Cookie", ".DataTrust.Lang=c%3Den%7Cuic%3Den");
        var english = await PageAsync(resident, "/resident/history");
        english.QuerySelector("tbody tr")!.TextContent.ShouldContain("Making buses and shared taxis more convenient");

        var auditor = await _factory.CreateClientAsync(Roles.Auditor);
        (await auditor.GetAsync("/resident/history")).Headers.Location!.OriginalString.ShouldContain("/account/denied");
    }

    [Fact]
    public async Task Transparency_aggregates_for_anyone_suppresses_small_groups_and_shows_no_pseudonyms()
    {
        var many = Enumerable.Range(0, 12).Select(_ => Guid.NewGuid()).ToList();
        var few = Enumerable.Range(0, 3).Select(_ => Guid.NewGuid()).ToList();
        await _factory.AppendAsync([.. many.Select(r => Release(r, Guid.NewGuid(), "demo-business", "mobility-improvement", "mobility"))]);
        await _factory.AppendAsync([.. few.Select(r => Release(r, Guid.NewGuid(), "demo-city-app", "health-research", "health-checkup"))]);
        await _factory.AppendAsync([.. many.Select(r => new ConsentChanged(AuditActor.Resident(r), r, Guid.NewGuid(), "demo-business", "mobility-improvement", ConsentChange.Granted))]);
        await _factory.AppendAsync([.. many.Take(10).Select(r => new ConsentChanged(AuditActor.Resident(r), r, Guid.NewGuid(), "demo-business", "mobility-improvement", ConsentChange.Revoked))]);
        await _factory.AppendAsync([.. many.Take(11).Select(r => new ConsentChanged(AuditActor.Resident(r), r, Guid.NewGuid(), "demo-business", "mobility-improvement", ConsentChange.Refused))]);

        var response = await _factory.CreateClient().GetAsync("/transparency");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var html = await response.Content.ReadAsStringAsync();
        var page = new HtmlParser().ParseDocument(html);

        var releases = page.QuerySelectorAll("table")[0].QuerySelectorAll("tbody tr").Select(r => r.QuerySelectorAll("td").Select(c => c.TextContent.Trim()).ToArray()).ToList();
        releases.Count.ShouldBe(2);
        releases.ShouldContain(r => r[1] == "バスや乗り合いタクシーをもっと便利にするため" && r[2] == "デモ事業者 (Demo Business)" && r[3] == "12");
        releases.ShouldContain(r => r[1] == "大学や病院による健康の研究" && r[3].Contains("非公開"));
        var consents = page.QuerySelectorAll("table")[1].QuerySelectorAll("tbody tr td").Select(c => c.TextContent.Trim()).ToArray();
        consents[1..].ShouldBe(["デモ事業者 (Demo Business)", "12", "11", "10"]);

        var pseudonyms = _factory.Service<AuditPseudonyms>();
        foreach (var resident in many.Concat(few))
        {
            html.ShouldNotContain(pseudonyms.Of(resident));
            html.ShouldNotContain(resident.ToString());
        }

        HexRun().IsMatch(html).ShouldBeFalse("no pseudonym or hash on the public page");
    }

    private static DataReleased Release(Guid resident, Guid consent, string recipient, string purpose, string category) =>
        new(AuditActor.Client(recipient), resident, consent, recipient, purpose, Guid.NewGuid(), [category], ["field"]);

    private static IEnumerable<long> Sequences(IHtmlDocument page) =>
        page.QuerySelectorAll("tbody tr td:first-child a").Select(a => long.Parse(a.TextContent, System.Globalization.CultureInfo.InvariantCulture));

    private static async Task<IHtmlDocument> PageAsync(HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, path);
        return new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
    }

    private static async Task<IHtmlDocument> PostAsync(HttpClient client, string path, (string, string)[] fields)
    {
        var token = await SignIn.AntiforgeryTokenAsync(client, path);
        var response = await client.PostAsync(path, Browser.Form([.. fields, ("__RequestVerificationToken", token)]));
        response.StatusCode.ShouldBe(HttpStatusCode.OK, path);
        return new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
    }

    private async Task<Guid> AccountIdAsync(string role) => (await AccountIdsAsync()).First(a => a.Email == SignIn.DemoEmail(role)).Id;

    private async Task<List<(string Email, Guid Id)>> AccountIdsAsync()
    {
        using var scope = _factory.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<UserAccount>>();
        return (await users.Users.ToListAsync()).Select(u => (u.Email!, u.Id)).ToList();
    }

    [GeneratedRegex("[0-9a-f]{32,}")]
    private static partial Regex HexRun();
}

public sealed class SqliteAuditConsolePageTests() : AuditConsolePageTests(StorageProvider.Sqlite);

public sealed class PostgresAuditConsolePageTests() : AuditConsolePageTests(StorageProvider.Postgres);

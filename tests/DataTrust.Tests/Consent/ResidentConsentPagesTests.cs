using System.Net;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;
using DataTrust.Consent;
using DataTrust.Persistence;
using DataTrust.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Tests.Consent;

/// <summary>
/// The resident's consent pages through real HTTP and forms: inbox, granting with narrowing, consent
/// history and receipts, pause/resume/revoke with confirmation, standing instructions. Tampered form
/// values get a readable error and change nothing. (The ledger itself is tested on both databases.)
/// </summary>
public sealed class ResidentConsentPagesTests : IDisposable
{
    private readonly ConsentHost _host = new(StorageProvider.Sqlite);

    public void Dispose()
    {
        _host.Dispose();
        GC.SuppressFinalize(this);
    }

    private static async Task<IHtmlDocument> PageAsync(HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, path);
        return new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string formPage, string action, params (string Key, string Value)[] fields)
    {
        var token = await SignIn.AntiforgeryTokenAsync(client, formPage);
        return await client.PostAsync(action, Browser.Form([.. fields, ("__RequestVerificationToken", token)]));
    }

    private static async Task<IHtmlDocument> ErrorPageAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var html = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(status, html);
        var document = new HtmlParser().ParseDocument(html);
        document.QuerySelector(".error-summary li")!.TextContent.ShouldNotBeNullOrWhiteSpace();
        return document;
    }

    private async Task<(HttpClient Resident, Guid RequestId)> PublishedAsync()
    {
        var admin = await ConsentHost.OperatorAsync(_host);
        await _host.RecipientAsync(admin, "rcpt-pages");
        var recipient = await _host.RecipientClientAsync("rcpt-pages");
        var requestId = await ConsentHost.PublishAsync(recipient, admin);
        return (await ConsentHost.ResidentAsync(_host), requestId);
    }

    private static async Task<Guid> GrantAsync(HttpClient resident, Guid requestId, params (string Key, string Value)[] fields)
    {
        var response = await PostAsync(resident, $"/resident/requests/{requestId}", $"/resident/requests/{requestId}?handler=Grant", fields);
        response.StatusCode.ShouldBe(HttpStatusCode.Redirect, await response.Content.ReadAsStringAsync());
        return Guid.Parse(response.Headers.Location!.OriginalString.Split('/').Last());
    }

    [Fact]
    public async Task A_resident_grants_a_request_narrowed_then_sees_its_history_and_a_receipt_that_verifies()
    {
        var (resident, requestId) = await PublishedAsync();
        var inbox = await PageAsync(resident, "/resident/inbox");
        inbox.QuerySelector($"[data-list=available] a[href='/resident/requests/{requestId}']").ShouldNotBeNull();
        var request = await PageAsync(resident, $"/resident/requests/{requestId}");
        request.QuerySelector("[data-recipient]")!.TextContent.ShouldBe("Org rcpt-pages");
        request.QuerySelectorAll("input[name=categories]").Select(i => i.GetAttribute("value")).ShouldBe(["mobility", "resident-basic"]);
        request.QuerySelectorAll("#duration option").Select(o => o.GetAttribute("value")).ShouldBe(["P6M", "P1M", "P3M"]);

        var id = await GrantAsync(resident, requestId, ("categories", "mobility"), ("duration", "P3M"));

        await using (var db = _host.NewDbContext())
        {
            var head = await db.Set<ConsentHead>().SingleAsync(c => c.Id == id);
            head.State.ShouldBe(ConsentState.Given);
            var version = await db.Set<ConsentVersion>().SingleAsync(v => v.ConsentId == id);
            version.Duration.ShouldBe("P3M");
            version.Categories.ShouldContain("mobility");
            version.Categories.ShouldNotContain("resident-basic");
        }

        var consent = await PageAsync(resident, $"/resident/consents/{id}");
        consent.QuerySelector("[data-state]")!.GetAttribute("data-state").ShouldBe("given");
        consent.QuerySelectorAll("[data-table=history] tbody tr").Length.ShouldBe(1);
        consent.QuerySelector("[role=status]")!.TextContent.ShouldContain("同意しました");
        (await PageAsync(resident, "/resident/consents")).QuerySelector($"[data-table=current] a[href='/resident/consents/{id}']").ShouldNotBeNull();
        (await PageAsync(resident, "/resident")).QuerySelector("[data-count=active]")!.TextContent.ShouldBe("1");

        var receipt = await PageAsync(resident, $"/resident/consents/{id}/receipts/1");
        var jws = receipt.QuerySelector("[data-jws]")!.GetAttribute("data-jws")!;
        jws.Split('.').Length.ShouldBe(3);
        receipt.QuerySelector(".receipt")!.TextContent.ShouldContain("Org rcpt-pages");
        receipt.QuerySelector("a[href='/receipts/verify']").ShouldNotBeNull();

        using var anonymous = _host.CreateBrowser();
        var verified = await PostAsync(anonymous, "/receipts/verify", "/receipts/verify", ("receipt", receipt.QuerySelector("pre.jws")!.TextContent));
        verified.StatusCode.ShouldBe(HttpStatusCode.OK);
        new HtmlParser().ParseDocument(await verified.Content.ReadAsStringAsync()).QuerySelector("[data-valid=true]").ShouldNotBeNull();
        var forged = await PostAsync(anonymous, "/receipts/verify", "/receipts/verify", ("receipt", jws[..^4] + "AAAA"));
        forged.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("categories=health-checkup", "")]
    [InlineData("", "")]
    [InlineData("categories=mobility", "P5Y")]
    [InlineData("categories=mobility", "soon")]
    public async Task A_tampered_grant_form_is_refused_with_a_message_and_changes_nothing(string category, string duration)
    {
        var (resident, requestId) = await PublishedAsync();
        var before = await _host.LedgerStateAsync();
        var fields = new List<(string, string)>();
        if (category.Length > 0)
        {
            fields.Add(("categories", category.Split('=')[1]));
        }

        if (duration.Length > 0)
        {
            fields.Add(("duration", duration));
        }

        await ErrorPageAsync(await PostAsync(resident, $"/resident/requests/{requestId}", $"/resident/requests/{requestId}?handler=Grant", [.. fields]), HttpStatusCode.BadRequest);
        (await _host.LedgerStateAsync()).ShouldBe(before);

        (await resident.GetAsync($"/resident/requests/{Guid.NewGuid()}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Refusing_a_request_records_a_refused_consent()
    {
        var (resident, requestId) = await PublishedAsync();
        var response = await PostAsync(resident, $"/resident/requests/{requestId}", $"/resident/requests/{requestId}?handler=Refuse");
        response.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        await using var db = _host.NewDbContext();
        (await db.Set<ConsentHead>().SingleAsync(c => c.DataRequestId == requestId)).State.ShouldBe(ConsentState.Refused);
        (await PageAsync(resident, "/resident/consents")).QuerySelectorAll("[data-table=past] tbody tr").Length.ShouldBe(1);
    }

    [Fact]
    public async Task Pause_resume_and_revoke_each_show_their_consequences_first_and_wrong_ones_change_nothing()
    {
        var (resident, requestId) = await PublishedAsync();
        var id = await GrantAsync(resident, requestId, ("categories", "mobility"), ("categories", "resident-basic"), ("duration", "P6M"));

        var confirm = await PageAsync(resident, $"/resident/consents/{id}/revoke");
        confirm.QuerySelector("main ul")!.TextContent.ShouldContain("元に戻すことはできません");
        (await resident.GetAsync($"/resident/consents/{id}/destroy")).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        using var taro = await ConsentHost.ResidentAsync(_host, "taro@example.jp");

        // Resuming a consent that is not paused: a clear message, nothing changed.
        var before = await _host.LedgerStateAsync();
        await ErrorPageAsync(await PostAsync(resident, $"/resident/consents/{id}/resume", $"/resident/consents/{id}/resume"), HttpStatusCode.Conflict);
        (await _host.LedgerStateAsync()).ShouldBe(before);

        // Another resident cannot touch it.
        (await taro.GetAsync($"/resident/consents/{id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var token = await SignIn.AntiforgeryTokenAsync(taro, "/resident/instructions");
        (await taro.PostAsync($"/resident/consents/{id}/revoke", Browser.Form(("__RequestVerificationToken", token)))).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await _host.LedgerStateAsync()).ShouldBe(before);

        foreach (var (change, state) in new[] { ("pause", ConsentState.Paused), ("resume", ConsentState.Given), ("revoke", ConsentState.Withdrawn) })
        {
            var response = await PostAsync(resident, $"/resident/consents/{id}/{change}", $"/resident/consents/{id}/{change}");
            response.StatusCode.ShouldBe(HttpStatusCode.Redirect, change);
            await using var db = _host.NewDbContext();
            (await db.Set<ConsentHead>().SingleAsync(c => c.Id == id)).State.ShouldBe(state);
        }

        var page = await PageAsync(resident, $"/resident/consents/{id}");
        page.QuerySelectorAll("[data-table=history] tbody tr").Length.ShouldBe(4);
        page.QuerySelectorAll("[data-list=receipts] li").Length.ShouldBe(4);
        page.QuerySelector($"a[href='/resident/consents/{id}/pause']").ShouldBeNull();
        (await _host.AuditAsync()).Select(e => e.Action).Where(a => a is "consent.granted" or "consent.paused" or "consent.resumed" or "consent.revoked")
            .ShouldBe(["consent.granted", "consent.paused", "consent.resumed", "consent.revoked"]);
    }

    [Fact]
    public async Task Standing_instructions_are_added_and_removed_and_invalid_rules_are_refused_with_nothing_stored()
    {
        var resident = await ConsentHost.ResidentAsync(_host);
        var before = await _host.LedgerStateAsync();
        await ErrorPageAsync(await PostAsync(resident, "/resident/instructions", "/resident/instructions?handler=Add",
            ("kind", "allow"), ("categories", "health-checkup"), ("purposes", "mobility-improvement")), HttpStatusCode.BadRequest);
        await ErrorPageAsync(await PostAsync(resident, "/resident/instructions", "/resident/instructions?handler=Add",
            ("kind", "maybe"), ("categories", "mobility")), HttpStatusCode.BadRequest);
        await ErrorPageAsync(await PostAsync(resident, "/resident/instructions", "/resident/instructions?handler=Add",
            ("kind", "never"), ("categories", "mobility"), ("purposes", "mobility-improvement")), HttpStatusCode.BadRequest);
        (await _host.LedgerStateAsync()).ShouldBe(before);

        (await PostAsync(resident, "/resident/instructions", "/resident/instructions?handler=Add",
            ("kind", "allow"), ("categories", "mobility"), ("purposes", "mobility-improvement"), ("maxDuration", "P3M"))).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await PostAsync(resident, "/resident/instructions", "/resident/instructions?handler=Add",
            ("kind", "never"), ("categories", "health-checkup"))).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var page = await PageAsync(resident, "/resident/instructions");
        page.QuerySelectorAll("[data-list=rules] li").Select(li => li.GetAttribute("data-rule")).ShouldBe(["allow", "never"]);

        var afterAdd = await _host.LedgerStateAsync();
        await ErrorPageAsync(await PostAsync(resident, "/resident/instructions", "/resident/instructions?handler=Remove", ("rule", Guid.NewGuid().ToString())), HttpStatusCode.NotFound);
        (await _host.LedgerStateAsync()).ShouldBe(afterAdd);

        var rule = page.QuerySelector("[data-list=rules] li input[name=rule]")!.GetAttribute("value")!;
        (await PostAsync(resident, "/resident/instructions", "/resident/instructions?handler=Remove", ("rule", rule))).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await PageAsync(resident, "/resident/instructions")).QuerySelectorAll("[data-list=rules] li").Select(li => li.GetAttribute("data-rule")).ShouldBe(["never"]);
        (await _host.AuditAsync("consent.standing_instruction_changed")).Count.ShouldBe(3);
    }
}

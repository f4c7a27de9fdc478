using DataTrust.Persistence;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace DataTrust.Tests.Infrastructure;

/// <summary>
/// Browser tests share one running service and one browser: put the test class in
/// <c>[Collection(BrowserCollection.Name)]</c> and take <see cref="PortalFixture"/> in its constructor.
/// </summary>
[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<PortalFixture>
{
    public const string Name = "Browser";
}

/// <summary>
/// The real service on Kestrel on a free loopback port (SQLite, Development, so the demo accounts and
/// clients exist) and one headless Debian Chromium driven by Playwright. Each test opens its own
/// <see cref="BrowserSession"/> (a fresh browser context: no cookies shared between tests).
/// <see cref="Factory"/> gives the service's own services, e.g. to append audit events directly.
/// </summary>
public sealed class PortalFixture : IAsyncLifetime
{
    // Without the network switches Chromium stalls on a closed network (see shared/DESIGN.md).
    private static readonly string[] ChromiumArguments =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public DataTrustFactory Factory { get; } = new(StorageProvider.Sqlite, new Dictionary<string, string?>(StringComparer.Ordinal)
    {
        // Every test signs in through the form; the sign-in rate limit would otherwise refuse the suite.
        ["RateLimiting:Sensitive:Burst"] = "1000",
        ["RateLimiting:Sensitive:PermitsPerMinute"] = "6000",
    });

    /// <summary>Where the browser reaches the service, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("The fixture is not initialised.");

    public async Task InitializeAsync()
    {
        Factory.UseKestrel(options => options.Listen(System.Net.IPAddress.Loopback, 0));
        Factory.StartServer();
        var addresses = Factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        BaseAddress = new Uri(addresses.First());

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Args = ChromiumArguments,
            Headless = true,
        });
    }

    /// <summary>A new browser context and page for one test; dispose it at the end of the test.</summary>
    public async Task<BrowserSession> NewSessionAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseAddress.ToString().TrimEnd('/'),
            AcceptDownloads = true,
            Locale = "ja-JP",
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
        });
        // Playwright's 30 s default was once exceeded by an axe run while the whole suite loaded the 2-core CI host.
        context.SetDefaultTimeout(90_000);
        return new BrowserSession(context, await context.NewPageAsync());
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        await Factory.DisposeAsync();
    }
}

/// <summary>One test's browser context and page.</summary>
public sealed class BrowserSession(IBrowserContext context, IPage page) : IAsyncDisposable
{
    public IBrowserContext Context { get; } = context;

    public IPage Page { get; } = page;

    public ValueTask DisposeAsync() => Context.DisposeAsync();
}

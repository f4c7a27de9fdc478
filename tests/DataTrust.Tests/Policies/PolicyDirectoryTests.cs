using DataTrust.Common;
using DataTrust.Policies;
using DataTrust.Policies.Loading;
using DataTrust.Tests.Infrastructure;

namespace DataTrust.Tests.Policies;

/// <summary>The service finds its policy in the content root first, then next to its binaries, and says where it looked when it cannot.</summary>
public sealed class PolicyDirectoryTests : IDisposable
{
    private readonly string _contentRoot = Directory.CreateTempSubdirectory("datatrust-content-").FullName;

    public void Dispose() => Directory.Delete(_contentRoot, recursive: true);

    [Fact]
    public void A_relative_directory_in_the_content_root_wins()
    {
        var inContentRoot = Directory.CreateDirectory(Path.Combine(_contentRoot, "policies")).FullName;

        PolicyDirectory.Resolve("policies", _contentRoot).ShouldBe(inContentRoot);
    }

    [Fact]
    public void Without_one_in_the_content_root_the_copy_next_to_the_binaries_is_used_and_matches_the_repository()
    {
        var resolved = PolicyDirectory.Resolve("policies", _contentRoot);

        resolved.ShouldBe(Path.Combine(AppContext.BaseDirectory, "policies"));
        PolicyLoader.Load(resolved).Version.ShouldBe(PolicyLoader.Load(RepositoryPaths.Policies).Version);
    }

    [Fact]
    public void A_missing_directory_stops_the_start_naming_every_path_tried()
    {
        var exception = Should.Throw<StartupException>(() => PolicyDirectory.Resolve("no-such-policies", _contentRoot));

        exception.Message.ShouldContain(Path.Combine(_contentRoot, "no-such-policies"));
        exception.Message.ShouldContain(Path.Combine(AppContext.BaseDirectory, "no-such-policies"));
    }

    [Fact]
    public void An_absolute_directory_is_used_as_it_is()
    {
        PolicyDirectory.Resolve(RepositoryPaths.Policies, _contentRoot).ShouldBe(RepositoryPaths.Policies);
        Should.Throw<StartupException>(() => PolicyDirectory.Resolve(Path.Combine(_contentRoot, "absent"), "/"))
            .Message.ShouldContain(Path.Combine(_contentRoot, "absent"));
    }
}

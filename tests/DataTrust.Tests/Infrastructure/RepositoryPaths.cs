namespace DataTrust.Tests.Infrastructure;

public static class RepositoryPaths
{
    /// <summary>The repository root: the nearest parent folder holding DataTrust.sln.</summary>
    public static string Root { get; } = FindRoot();

    public static string Policies => Path.Combine(Root, "policies");

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "DataTrust.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("DataTrust.sln not found above " + AppContext.BaseDirectory);
    }
}

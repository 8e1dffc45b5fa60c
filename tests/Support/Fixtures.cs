namespace Checkpointing.Tests.Support;

/// <summary>The Python manager's files, copied next to the test assembly from ../shared/fixtures/artemis-python.</summary>
public static class Fixtures
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "Fixtures", "artemis-python");

    public static IReadOnlyList<string> CardIds { get; } =
        ["card-fresh", "card-active-midrun", "card-resumed", "card-failed", "card-completed"];

    public static IEnumerable<object[]> All => CardIds.Select(id => new object[] { id });

    /// <summary>Copies the fixtures into <paramref name="target"/> and returns it.</summary>
    public static string CopyTo(string target)
    {
        foreach (var id in CardIds)
        {
            File.Copy(Path.Combine(Directory, id + ".json"), Path.Combine(target, id + ".json"));
        }

        return target;
    }
}

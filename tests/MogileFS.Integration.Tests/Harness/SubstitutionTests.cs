using MogileFS.TestSupport.Transcripts;

namespace MogileFS.Integration.Tests.Harness;

public class SubstitutionTests
{
    private static List<KeyValuePair<string, string>> Pairs(string body) => ReplyComparer.ParsePairs(body);

    [Fact]
    public void Copies_values_from_labelled_replies()
    {
        var s = new SubstitutionApplier();
        s.SetLabel("R1", Pairs("devid_1=3&path_1=http://127.0.2.2:4000/dev3/0/000/001/0000001004.fid&fid=1004"));
        string line = "create_close fid=1004&devid=1&domain=testdom&size=11&key=file1&path=http://127.0.2.1:4000/dev1/0/000/001/0000001004.fid\\r\\n";
        string result = s.Apply(line, SubstitutionParser.Parse("devid<-R1.devid_1 path<-R1.path_1"));
        Assert.Equal("create_close fid=1004&devid=3&domain=testdom&size=11&key=file1&path=http://127.0.2.2:4000/dev3/0/000/001/0000001004.fid\\r\\n", result);
    }

    [Fact]
    public void Inserts_text_after_a_marker()
    {
        var s = new SubstitutionApplier();
        s.SetLabel("R2", Pairs("devid=4&path=http://127.0.2.2:4000/dev4/0/000/001/0000001005.fid&fid=1005"));
        string result = s.Apply("create_close fid=1005&devid=1&path=http://127.0.2.1:4000/dev1/x.fid\\r\\n",
            SubstitutionParser.Parse("devid<-R2.devid path<-R2.path (with \"x\" inserted after http://)"));
        Assert.Equal("create_close fid=1005&devid=4&path=http://x127.0.2.2:4000/dev4/0/000/001/0000001005.fid\\r\\n", result);
    }

    [Fact]
    public void Copies_pairs_in_the_order_of_the_reply()
    {
        var s = new SubstitutionApplier();
        s.SetLabel("R12", Pairs("devid=3&fid=1015&path=http://127.0.2.2:4000/dev3/p.fid"));
        string result = s.Apply("create_close key=nginx/put&domain=testdom&class=one&path=http://old&fid=1015&devid=4&size=9\\r\\n",
            SubstitutionParser.Parse("fid/devid/path<-R12 (same order as in that reply)"));
        Assert.Equal("create_close key=nginx/put&domain=testdom&class=one&devid=3&fid=1015&path=http://127.0.2.2:4000/dev3/p.fid&size=9\\r\\n", result);
    }

    [Fact]
    public void A_device_on_the_other_host_gets_the_url_of_the_same_fid()
    {
        var s = new SubstitutionApplier();
        s.SetLabel("R4", Pairs("path=http://127.0.2.1:4000/dev2/0/000/001/0000001007.fid&fid=1007&devid=2"));
        string result = s.Apply("create_close fid=1007&devid=1&domain=testdom&key=file4&path=http://127.0.2.1:27500/dev1/0/000/001/0000001007.fid\\r\\n",
            SubstitutionParser.Parse("devid/path: a device on the other host than R4.devid"));
        Assert.Equal("create_close fid=1007&devid=3&domain=testdom&key=file4&path=http://127.0.2.2:4000/dev3/0/000/001/0000001007.fid\\r\\n", result);
    }

    [Fact]
    public void Host_and_device_from_a_device_list_and_same_as_above()
    {
        var s = new SubstitutionApplier();
        s.SetLabel("R1", Pairs("devids=3,1&fid=1004"));
        Assert.Equal("set_state host=h2&device=3&state=drain\\r\\n",
            s.Apply("set_state host=h1&device=1&state=drain\\r\\n", SubstitutionParser.Parse("host/device<-first id in R1.devids")));
        Assert.Equal("set_state host=h2&device=3&state=alive\\r\\n",
            s.Apply("set_state host=h1&device=1&state=alive\\r\\n", SubstitutionParser.Parse("host/device<-same as above")));
    }

    [Fact]
    public void Source_and_destination_devices_relative_to_a_replica()
    {
        var s = new SubstitutionApplier();
        s.SetLabel("R1", Pairs("devids=1&fid=1024"));
        Assert.Equal("httpcopy sdevid=2&ddevid=3&fid=1024\\r\\n", s.Apply("httpcopy sdevid=3&ddevid=1&fid=1024\\r\\n",
            SubstitutionParser.Parse("sdevid: the other device on the same host as R1.devids; ddevid: a device on the other host")));
        Assert.Equal("httpcopy sdevid=1&ddevid=3&fid=1024\\r\\n", s.Apply("httpcopy sdevid=4&ddevid=1&fid=1024\\r\\n",
            SubstitutionParser.Parse("sdevid<-R1.devids ddevid: a device on the other host")));
    }

    [Fact]
    public void Missing_labels_are_reported()
    {
        var s = new SubstitutionApplier();
        var e = Assert.Throws<InvalidOperationException>(() => s.Apply("x devid=1\\r\\n", SubstitutionParser.Parse("devid<-R9.devid")));
        Assert.Contains("R9", e.Message);
    }

    [Fact]
    public void Capture_ports_are_mapped_everywhere_but_only_as_whole_numbers()
    {
        var ports = new CapturePorts(41001, 41500, 41501);
        Assert.Equal("create_host host=h1&ip=127.0.2.1&port=41500\\r\\n", ports.Rewrite("create_host host=h1&ip=127.0.2.1&port=27500\\r\\n"));
        Assert.Equal("OK path=http://127.0.2.2:41500/dev4/0/000/001/0000275001.fid&x=41501\\r\\n",
            ports.Rewrite("OK path=http://127.0.2.2:27500/dev4/0/000/001/0000275001.fid&x=27501\\r\\n"));
        Assert.Equal("http://127\\.0\\.2\\.[12]:41500/dev\\d+/", ports.Rewrite("http://127\\.0\\.2\\.[12]:27500/dev\\d+/"));
        Assert.Equal("port=27510&port=27600", ports.Rewrite("port=27510&port=27600"));
    }

    [Fact]
    public void Fid_path_formula()
    {
        Assert.Equal("/0/000/001/0000001004.fid", CaptureTopology.FidPath(1004));
        Assert.Equal("/4/000/000/4000000001.fid", CaptureTopology.FidPath(4000000001));
        Assert.Equal("/1/234/567/12345678901.fid", CaptureTopology.FidPath(12345678901));
    }
}

package zoo

import (
	"strings"
	"testing"

	"github.com/reprise-ml/reprise/zoo/arch"
)

func TestLookupUnknownNamesClosest(t *testing.T) {
	_, err := Lookup("resnet51")
	if err == nil || !strings.Contains(err.Error(), `"resnet51"`) || !strings.Contains(err.Error(), "resnet50") {
		t.Fatalf("got %v", err)
	}
}

func TestListGlob(t *testing.T) {
	es, err := List("resnet*_r28")
	if err != nil || len(es) == 0 {
		t.Fatalf("List: %v, %d entries", err, len(es))
	}
	for _, e := range es {
		if !e.Twin || !strings.HasSuffix(e.Name, "_r28") {
			t.Errorf("%s matched resnet*_r28 (twin=%v)", e.Name, e.Twin)
		}
	}
	if _, err := List("["); err == nil {
		t.Fatal("bad pattern accepted")
	}
}

func TestTwinNamingConvention(t *testing.T) {
	all, _ := List("")
	for _, e := range all {
		r28, r32 := strings.HasSuffix(e.Name, "_r28"), strings.HasSuffix(e.Name, "_r32")
		if e.Twin != (r28 || r32) {
			t.Errorf("%s: twin=%v but name says otherwise", e.Name, e.Twin)
		}
		d := e.Defaults
		if r28 && (d.ImgSize != 28 || d.InChans != 1 || d.NumClasses != 10) || r32 && (d.ImgSize != 32 || d.InChans != 3 || d.NumClasses != 10) {
			t.Errorf("%s: defaults %+v do not match its name", e.Name, d)
		}
		if !e.Twin && e.Published == nil {
			t.Logf("%s: no published row", e.Name)
		}
	}
}

func TestCountStagesAddUp(t *testing.T) {
	c, err := Count("resnet50", arch.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var macs, params int64
	for _, s := range c.Stages {
		macs += s.MACs
		if s.Params > 0 {
			params += s.Params
		}
	}
	if macs != c.MACs || params+c.Other != c.Params {
		t.Fatalf("stages sum to %d MACs / %d params, totals %d / %d", macs, params+c.Other, c.MACs, c.Params)
	}
	if c.Params != 25557032 { // torchvision's resnet50, see zoo/resnet
		t.Fatalf("resnet50: %d params", c.Params)
	}
	if got := c.Stages[len(c.Stages)-1]; got.Name != "head" || got.Shape[1] != 1000 {
		t.Fatalf("last stage %+v", got)
	}
}

func TestBadOptionsAreErrors(t *testing.T) {
	if _, err := NewMeta("resnet18", arch.Options{DropPath: 1.5}); err == nil || !strings.Contains(err.Error(), "drop-path") {
		t.Fatalf("got %v", err)
	}
}

// TestEveryPublishedModelIsBuilt holds the registry to published.csv:
// each model the reference table names is built by some family.
func TestEveryPublishedModelIsBuilt(t *testing.T) {
	for _, name := range PublishedNames() {
		if _, err := Lookup(name); err != nil {
			t.Errorf("published model %s is not registered", name)
		}
	}
}

// TestEveryFamilyHasTwins checks the convention that each family ships
// reduced twins for both input kinds.
func TestEveryFamilyHasTwins(t *testing.T) {
	all, _ := List("")
	twins := map[string][2]bool{}
	for _, e := range all {
		tw := twins[e.Family]
		if strings.HasSuffix(e.Name, "_r28") {
			tw[0] = true
		}
		if strings.HasSuffix(e.Name, "_r32") {
			tw[1] = true
		}
		twins[e.Family] = tw
	}
	for fam, tw := range twins {
		if !tw[0] || !tw[1] {
			t.Errorf("family %s lacks an _r28 or _r32 twin", fam)
		}
	}
	for _, fam := range []string{"resnet", "vit", "swin", "mixer", "efficientnet", "mobilenetv3", "nasnet", "randwire", "regnet"} {
		if _, ok := twins[fam]; !ok {
			t.Errorf("family %s is not registered", fam)
		}
	}
}

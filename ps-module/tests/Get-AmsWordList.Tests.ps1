#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Get-AmsWordList, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Get-AmsWordList' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'lists lists, or finds one by name' {
        $null = Get-AmsWordList
        (Get-AmsStubCall).Line | Should -BeExactly 'word-list get'
        Reset-AmsStubLog
        (Get-AmsWordList -Name 'EFF large wordlist').PSTypeNames[0] | Should -BeExactly 'Ams.WordList'
        (Get-AmsStubCall).Line | Should -BeExactly 'word-list get --name EFF large wordlist'
    }

    It 'finds by id' {
        $null = Get-AmsWordList -Id 'eff-large'
        (Get-AmsStubCall).Line | Should -BeExactly 'word-list get --id eff-large'
    }
}
